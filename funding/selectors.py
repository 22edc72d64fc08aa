"""Every read of funding data, scoped by the user (docs/architecture.md §2).

``visible_requests(user)`` is the one place that decides which requests a user
may see; every list, detail, document, timeline, export and API answer starts
from it, so an object outside the scope is simply not found (404, never 403).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from typing import Any

import holidays
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from budgets import selectors as budget_selectors
from clusters.models import Cluster, School, SchoolYearStats
from panels import selectors as panel_selectors
from panels.models import Meeting, OutcomeResult, OutcomeReview
from portal.cells import safe_cell
from portal.roles import Scope, scope_for

from . import policy, rules
from .models import (
    FundingRequest,
    FundingStream,
    IntentionNotice,
    NeedBand,
    ProvisionLine,
    RateCardEntry,
    RequestDocument,
    RequestEvent,
)
from .workflow import AWAITING_PANEL, DECIDED, EDITABLE, ENDED, State

# Fields that describe the pupil. Finance officers see request totals only, so
# these never leave the selectors for them (deferred, and dropped from
# serializers, templates and exports through ``shows_pupil_detail``).
PUPIL_FIELDS = (
    "pupil_initials",
    "pupil_key",
    "year_group",
    "sex",
    "primary_need",
    "secondary_need",
    "sen_support_since",
    "band",
    "ordinarily_available_provision",
    "outcomes_sought",
    "agencies_involved",
    "parent_voice",
    "pupil_voice",
    "project_summary",
    "parental_consent",
    "consent_date",
)


def shows_pupil_detail(user: AbstractBaseUser) -> bool:
    return scope_for(user).sees_pupil_detail


def visible_requests(user: AbstractBaseUser) -> QuerySet[FundingRequest]:
    """The requests ``user`` may see, with the joins every list needs."""
    scope = scope_for(user)
    qs = FundingRequest.objects.select_related("stream", "school", "cluster")
    if scope.is_admin:
        return qs
    if scope.is_la:
        # A draft is the school's working copy: the LA sees it once submitted.
        qs = qs.exclude(state=State.DRAFT)
        return qs if scope.sees_pupil_detail else qs.defer(*PUPIL_FIELDS)
    if scope.school_ids:
        return qs.filter(school_id__in=scope.school_ids)
    return qs.none()


def get_request(user: AbstractBaseUser, pk: Any) -> FundingRequest:
    """One visible request, or 404."""
    return get_object_or_404(visible_requests(user), pk=pk)


_LINES = Prefetch("provision_lines", queryset=ProvisionLine.objects.select_related("rate_card"))


def get_request_detail(user: AbstractBaseUser, pk: Any) -> FundingRequest:
    """One visible request with its evidence and costs prefetched, or 404."""
    qs = visible_requests(user)
    if shows_pupil_detail(user):
        qs = qs.select_related("band", "created_by").prefetch_related("cycles", _LINES, "documents")
    else:
        qs = qs.prefetch_related(_LINES)
    return get_object_or_404(qs, pk=pk)


def get_document(user: AbstractBaseUser, request_pk: Any, doc_pk: Any) -> RequestDocument:
    """A document of a visible request (finance officers never see pupil documents), or of a
    request whose papers another app opens to the user (a panel member not recused from its
    agenda item: ``funding.policy.can_read_papers_beyond_scope``); else 404."""
    from django.http import Http404

    document = get_object_or_404(
        RequestDocument.objects.select_related("request", "request__school"),
        pk=doc_pk,
        request_id=request_pk,
    )
    if shows_pupil_detail(user) and visible_requests(user).filter(pk=request_pk).exists():
        return document
    if policy.can_read_papers_beyond_scope(user, document.request):
        return document
    raise Http404


def request_timeline(user: AbstractBaseUser, funding_request: FundingRequest) -> list[RequestEvent]:
    """The request's events (the request must come from a scoped selector)."""
    events = list(RequestEvent.objects.filter(request=funding_request).select_related("actor"))
    if not shows_pupil_detail(user):
        # Messages to the school may describe the pupil.
        for event in events:
            event.message = ""
    return events


# The transitions that send a request back to the school, and the school's answer.
RETURNS = frozenset({"return", "request_information"})


@dataclass(frozen=True)
class OpenReturn:
    """The LA's (or the panel's) latest questions to the school and, once the school has
    resubmitted, its answer, until the LA acts on the request again."""

    asked: RequestEvent
    answer: RequestEvent | None = None


def open_return(fr: FundingRequest, events: list[RequestEvent]) -> OpenReturn | None:
    """What the top of the task list and of the request page show of a return, from the
    request's timeline (``request_timeline``'s, so finance officers never read it)."""
    moves = [e for e in events if e.from_state != e.to_state]
    for i in range(len(moves) - 1, -1, -1):
        if moves[i].kind in RETURNS:
            after = moves[i + 1 :]
            if fr.state == State.RETURNED and not after:
                return OpenReturn(asked=moves[i])
            if fr.state == State.SUBMITTED and len(after) == 1 and after[0].kind == "resubmit":
                return OpenReturn(asked=moves[i], answer=after[0])
            return None
    return None


# --- Lists -------------------------------------------------------------------

SORTS = {
    "oldest": ("submitted_at", "pk"),
    "newest": ("-submitted_at", "-pk"),
    "amount": ("-amount_requested", "pk"),
    "reference": ("reference", "pk"),
    "created": ("-created_at", "-pk"),
    "updated": ("-updated_at", "-pk"),
}


@dataclass
class RequestFilters:
    cluster: int | None = None
    stream: int | None = None
    state: str | None = None
    need: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    sort: str = "created"


def filter_requests(qs: QuerySet[FundingRequest], f: RequestFilters) -> QuerySet[FundingRequest]:
    if f.cluster:
        qs = qs.filter(cluster_id=f.cluster)
    if f.stream:
        qs = qs.filter(stream_id=f.stream)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.need:
        qs = qs.filter(Q(primary_need=f.need) | Q(secondary_need=f.need))
    if f.submitted_from:
        qs = qs.filter(submitted_at__date__gte=f.submitted_from)
    if f.submitted_to:
        qs = qs.filter(submitted_at__date__lte=f.submitted_to)
    return qs.order_by(*SORTS.get(f.sort, SORTS["created"]))


def request_list(user: AbstractBaseUser, f: RequestFilters) -> QuerySet[FundingRequest]:
    return filter_requests(visible_requests(user), f)


def streams() -> QuerySet[FundingStream]:
    return FundingStream.objects.all()


def clusters() -> QuerySet[Cluster]:
    return Cluster.objects.only("pk", "name")


# --- Age against the LA's target ---------------------------------------------


@lru_cache(maxsize=32)
def _england_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


@lru_cache(maxsize=4096)
def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (weekends and English bank holidays off)."""
    if end <= start:
        return 0
    # Counted, not walked day by day: an export ages tens of thousands of requests.
    weeks, extra = divmod((end - start).days, 7)
    first = start.weekday()
    days = 5 * weeks + sum(1 for i in range(1, extra + 1) if (first + i) % 7 < 5)
    for year in range(start.year, end.year + 1):
        days -= sum(1 for h in _england_holidays(year) if start < h <= end and h.weekday() < 5)
    return days


@dataclass(frozen=True)
class Age:
    """The decision clock of one request (``decision_clock``): working days with the LA,
    against the LA's target, beside the working days since it was first submitted."""

    working_days: int
    target: int
    # Working days from the first submission to the decision (or to today, undecided).
    since_submitted: int = 0
    # Returned to the school, and the LA pauses the clock while the school holds it.
    paused: bool = False
    # Decided or withdrawn: the figures are final.
    stopped: bool = False

    @property
    def overdue(self) -> bool:
        return self.working_days > self.target

    @property
    def due_soon(self) -> bool:
        return not (self.overdue or self.stopped or self.paused) and (
            self.working_days >= self.target - 3
        )


# The clock runs while the request waits on the LA or the panel. While it is returned,
# the school holds it: the clock pauses there unless the LA counts that time too
# (settings.DECISION_CLOCK_PAUSES_WHEN_RETURNED). It stops at a decision or a withdrawal,
# and runs again if a declined request comes back (reconsidered, or an appeal upheld).
WITH_LA = frozenset({State.SUBMITTED, State.READY, State.ON_AGENDA, State.DEFERRED})
CLOCK_RUNNING = WITH_LA | {State.RETURNED}


@dataclass(frozen=True)
class Move:
    """A change of state on the timeline, as the clock reads it."""

    at: datetime
    to_state: str


def decision_target() -> int:
    """The LA's target of working days to a decision."""
    return settings.TARGET_WORKING_DAYS_TO_DECISION


def clock_pauses() -> bool:
    return settings.DECISION_CLOCK_PAUSES_WHEN_RETURNED


def decision_clock(
    submitted_at: datetime | None,
    state: str,
    moves: list[Move] | None,
    today: date | None = None,
) -> Age | None:
    """THE definition of time to decision, for the lists, the request page, the API, the
    export and the reports: None before the first submission.

    From the first submission (``submitted_at``), the request's changes of state
    (``moves``, its ``RequestEvent`` rows that changed the state, in order) say how long
    it was in each state; the working days in the states ``WITH_LA`` are the clock (and
    those returned, if the LA does not pause it). Without moves (a row made without its
    timeline), the request is taken to have been in its state since it was submitted.
    The counting itself is ``clock_days``, on the local dates.
    """
    if submitted_at is None:
        return None
    today = today or timezone.localdate()
    pauses = clock_pauses()
    local = timezone.localtime
    with_la, since = clock_days(
        local(submitted_at).date(),
        state,
        [(local(m.at).date(), m.to_state) for m in moves or ()],
        today,
        pauses,
    )
    return Age(
        working_days=with_la,
        target=decision_target(),
        since_submitted=since,
        paused=pauses and state == State.RETURNED,
        stopped=state not in CLOCK_RUNNING,
    )


def clock_days(
    start: date, state: str, moves: list[tuple[date, str]], today: date, pauses: bool
) -> tuple[int, int]:
    """``decision_clock``'s two counts from local dates: the working days with the LA and
    those since first submitted, for a request first submitted on ``start``, in ``state``
    now, whose changes of state are ``moves`` (day, state moved to; in order). The
    reports call it with dates read in their query."""
    if not moves and state not in CLOCK_RUNNING:
        return 0, 0  # taken to be in its final state since submitted: no time counted
    counted = WITH_LA if pauses else CLOCK_RUNNING
    cursor, holding, with_la, end = start, (State.SUBMITTED if moves else state), 0, None
    for day, to_state in moves:
        day = max(day, cursor)
        if holding in counted:
            with_la += working_days_between(cursor, day)
        if holding in CLOCK_RUNNING and to_state not in CLOCK_RUNNING:
            end = day
        elif to_state in CLOCK_RUNNING:
            end = None
        cursor, holding = day, to_state
    if state in CLOCK_RUNNING:
        end = None
        if holding in counted:
            with_la += working_days_between(cursor, today)
    elif end is None:
        end = cursor
    return with_la, working_days_between(start, end or today)


def clock_moves(events) -> list[Move]:
    """The moves of a request's events (prefetched by ``with_clock_moves``, or any list)."""
    return [Move(e.created_at, e.to_state) for e in events if e.from_state != e.to_state]


def _moves_queryset() -> QuerySet[RequestEvent]:
    return (
        RequestEvent.objects.exclude(from_state=F("to_state"))
        .only("request_id", "from_state", "to_state", "created_at")
        .order_by("created_at", "pk")
    )


def with_clock_moves(qs: QuerySet[FundingRequest]) -> QuerySet[FundingRequest]:
    """``qs`` with each request's changes of state prefetched (one query a page) for
    ``request_age``."""
    return qs.prefetch_related(Prefetch("events", queryset=_moves_queryset(), to_attr="moves"))


def request_age(funding_request: FundingRequest, today: date | None = None) -> Age | None:
    """The request's clock, from its prefetched moves or (one query) its timeline."""
    events = getattr(funding_request, "moves", None)
    if events is None:
        if funding_request.submitted_at is None:
            return None
        events = list(_moves_queryset().filter(request_id=funding_request.pk))
        funding_request.moves = events
    return decision_clock(
        funding_request.submitted_at, funding_request.state, clock_moves(events), today
    )


def decision_times(start: datetime, end: datetime) -> dict[int, tuple[list[int], list[int]]]:
    """The clock of each request first submitted in [start, end) and since decided, for
    the reports (the same ``clock_days`` as every page), by cluster: the working days
    with the LA and the working days since first submitted of each of its requests. Two
    statements whatever the number, the requests and their moves (``local_moves``), read
    as tuples with each day a local date (a national report reads 280,000 requests)."""
    ops, tz = connection.ops, timezone.get_current_timezone_name()
    req = FundingRequest._meta.db_table
    states = sorted(DECIDED)
    where = (
        f"r.submitted_at >= %s AND r.submitted_at < %s "
        f"AND r.state IN ({', '.join(['%s'] * len(states))})"
    )
    params = [ops.adapt_datetimefield_value(start), ops.adapt_datetimefield_value(end), *states]
    submitted_on, p1 = ops.datetime_cast_date_sql("r.submitted_at", [], tz)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id, r.cluster_id, r.state, {submitted_on} FROM {req} r WHERE {where}",  # noqa: S608, E501 - names; values are %s
            [*p1, *params],
        )
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":  # dates come back as text there
        rows = [(pk, c, state, date.fromisoformat(day)) for pk, c, state, day in rows]
    # The moves of the same requests, picked by the same condition: a national report's
    # 280,000 ids are not sent back to the database.
    moves = _read_moves([(f"e.request_id IN (SELECT r.id FROM {req} r WHERE {where})", params)])  # noqa: S608, E501 - names; values are %s
    today, pauses, none, moves_of = timezone.localdate(), clock_pauses(), (), moves.get
    by_cluster: dict[int, tuple[list[int], list[int]]] = {}
    for pk, cluster_id, state, day in rows:
        with_la, since = clock_days(day, state, moves_of(pk, none), today, pauses)
        lists = by_cluster.get(cluster_id)
        if lists is None:
            lists = by_cluster[cluster_id] = ([], [])
        lists[0].append(with_la)
        lists[1].append(since)
    return by_cluster


def with_ages(rows, today: date | None = None):
    """Attach ``age`` to each request of a page (its moves prefetched: no queries)."""
    today = today or timezone.localdate()
    for r in rows:
        r.age = request_age(r, today)
    return rows


# --- Money shown beside the amount --------------------------------------------


def school_contribution_per_pupil() -> Decimal:
    return Decimal(settings.SCHOOL_CONTRIBUTION_PER_PUPIL)


def notional_sen_budget(school_id: int) -> Decimal | None:
    stats = (
        SchoolYearStats.objects.filter(school_id=school_id)
        .order_by("-academic_year")
        .values_list("notional_sen_budget", flat=True)
        .first()
    )
    return stats


def cluster_available(cluster: Cluster, stream: FundingStream) -> Decimal | None:
    """The cluster's current available budget for the stream, or None if it has none."""
    return budget_selectors.cluster_available(cluster, stream)


def next_meeting(cluster: Cluster) -> Meeting | None:
    """The next meeting taking requests of the panel serving the cluster (its own or its
    district's), or None if there is none yet."""
    return panel_selectors.next_meeting_for_cluster(cluster.pk)


def meeting_closing_date(meeting: Meeting | None) -> date | None:
    return meeting.closing_date if meeting else None


def meeting_date(meeting: Meeting | None) -> date | None:
    return meeting.date if meeting else None


# --- Dashboards ----------------------------------------------------------------


def school_request_counts(scope: Scope) -> dict[str, int]:
    rows = (
        FundingRequest.objects.filter(school_id__in=scope.school_ids)
        .values("state")
        .annotate(n=Count("pk"))
    )
    return {r["state"]: r["n"] for r in rows}


def needing_action(user: AbstractBaseUser, limit: int = 10) -> list[FundingRequest]:
    """Drafts and returned requests of the user's schools, most recent first."""
    scope = scope_for(user)
    return list(
        FundingRequest.objects.filter(school_id__in=scope.school_ids, state__in=EDITABLE)
        .select_related("stream", "school")
        .order_by("-updated_at")[:limit]
    )


def awaiting_panel() -> QuerySet[FundingRequest]:
    """Requests waiting for a panel (ready or deferred): the one definition of "ready for a
    panel", counted on the triage dashboard and listed on the panels' scheduling page."""
    return FundingRequest.objects.filter(state__in=AWAITING_PANEL)


def triage_counts() -> dict[str, int]:
    """Waiting for triage, returned to schools, and ready for a panel (LA SEND officers)."""
    rows = (
        FundingRequest.objects.filter(state__in=[State.SUBMITTED, State.RETURNED])
        .values("state")
        .annotate(n=Count("pk"))
    )
    counts = {r["state"]: r["n"] for r in rows}
    return {
        State.SUBMITTED: counts.get(State.SUBMITTED, 0),
        State.RETURNED: counts.get(State.RETURNED, 0),
        "awaiting_panel": awaiting_panel().count(),
    }


# --- CSV export ----------------------------------------------------------------

TOTAL_COLUMNS = [
    ("reference", "Reference"),
    ("state", "State"),
    ("school", "School"),
    ("urn", "URN"),
    ("cluster", "Cluster"),
    ("stream", "Stream"),
    ("request_type", "Type"),
    ("submitted", "Submitted"),
    ("with_la", "Working days with the LA"),
    ("since_submitted", "Working days since first submitted"),
    ("total_cost", "Total cost"),
    ("school_contribution", "School contribution"),
    ("amount_requested", "Amount requested"),
    ("amount_awarded", "Amount awarded"),
]
PUPIL_COLUMNS = [
    ("pupil", "Pupil initials"),
    ("year_group", "Year group"),
    ("sex", "Sex"),
    ("primary_need", "Primary need"),
    ("secondary_need", "Secondary need"),
]


EXPORT_FIELDS = (
    "pk",
    "reference",
    "state",
    "school__name",
    "school__urn",
    "cluster__name",
    "stream__name",
    "request_type",
    # The local day it was first submitted, read as a date (the clock counts days).
    TruncDate("submitted_at"),
    "total_cost",
    "school_contribution",
    "amount_requested",
    "amount_awarded",
)
PUPIL_FIELDS_EXPORTED = ("pupil_initials", "year_group", "sex", "primary_need", "secondary_need")


def export_rows(user: AbstractBaseUser, qs: QuerySet[FundingRequest]):
    """Header and rows for a CSV export; streamed with ``iterator`` at constant memory.

    The rows are read as columns (values_list), not as requests with their school,
    cluster and stream: an export of every request is tens of thousands of rows."""
    pupil = shows_pupil_detail(user)
    columns = TOTAL_COLUMNS + (PUPIL_COLUMNS if pupil else [])
    yield [label for _, label in columns]
    today, pauses, none = timezone.localdate(), clock_pauses(), ()
    # Each state's and type's label, through safe_cell once rather than once a row.
    states = {k: safe_cell(str(v)) for k, v in FundingRequest._meta.get_field("state").flatchoices}
    types = {
        k: safe_cell(str(v)) for k, v in FundingRequest._meta.get_field("request_type").flatchoices
    }
    fields = EXPORT_FIELDS + (PUPIL_FIELDS_EXPORTED if pupil else ())
    n = len(EXPORT_FIELDS)
    for chunk in _chunks(qs.values_list(*fields).iterator(chunk_size=2000)):
        moves = local_moves([row[0] for row in chunk if row[8] is not None])
        for values in chunk:
            (
                pk,
                reference,
                state,
                school,
                urn,
                cluster,
                stream,
                request_type,
                start,
                total_cost,
                contribution,
                requested,
                awarded,
            ) = values[:n]
            if start is None:
                submitted, with_la, since = "", "", ""
            else:  # the clock of every page (decision_clock), on the local dates
                submitted = start.isoformat()
                with_la, since = clock_days(start, state, moves.get(pk, none), today, pauses)
            # Text through safe_cell; the URN, the day counts and money are never text.
            yield [
                safe_cell(reference or ""),
                states.get(state) or safe_cell(str(state)),
                safe_cell(school),
                urn,
                safe_cell(cluster),
                safe_cell(stream),
                types.get(request_type) or safe_cell(str(request_type)),
                submitted,
                with_la,
                since,
                total_cost,
                contribution,
                requested,
                awarded if awarded is not None else "",
                *[safe_cell(v) for v in values[n:]],
            ]


def _chunks(rows, size: int = 2000):
    """The rows a chunk at a time (constant memory: one query for a chunk's moves)."""
    while chunk := list(islice(rows, size)):
        yield chunk


def local_moves(request_ids: list[int]) -> dict[int, list[tuple[date, str]]]:
    """The moves of many requests as the clock reads them (``clock_days``): each request's
    changes of state in order, (local day, state moved to), read as tuples in one
    statement."""
    if not request_ids:
        return defaultdict(list)
    if connection.vendor == "postgresql":  # one array, however many
        return _read_moves([("e.request_id = ANY(%s)", [list(request_ids)])])
    return _read_moves(  # within SQLite's limit of variables
        [
            (f"e.request_id IN ({', '.join(['%s'] * len(ids))})", ids)
            for ids in (request_ids[i : i + 500] for i in range(0, len(request_ids), 500))
        ]
    )


def _read_moves(batches: list[tuple[str, list]]) -> dict[int, list[tuple[date, str]]]:
    """``local_moves`` of the requests each ``(condition on e, its parameters)`` picks."""
    found: dict[int, list[tuple[date, str]]] = defaultdict(list)
    ops, tz = connection.ops, timezone.get_current_timezone_name()
    moved_on, params = ops.datetime_cast_date_sql("e.created_at", [], tz)
    as_text = connection.vendor == "sqlite"  # dates come back as text there
    with connection.cursor() as cursor:
        for where, values in batches:
            cursor.execute(
                f"""SELECT e.request_id, {moved_on}, e.to_state
                    FROM {RequestEvent._meta.db_table} e
                    WHERE e.from_state <> e.to_state AND {where}
                    ORDER BY e.request_id, e.created_at, e.id""",  # noqa: S608 - names; values are %s
                [*params, *values],
            )
            for pk, day, to_state in cursor.fetchall():
                found[pk].append((date.fromisoformat(day) if as_text else day, to_state))
    return found


class Echo:
    def write(self, value):
        return value


def csv_writer():
    return csv.writer(Echo())


def own_schools(user: AbstractBaseUser) -> QuerySet[School]:
    """The schools the user works at, where they may start requests. Another school's id
    is looked up here as a missing one is, so the API never tells which ids exist."""
    return School.objects.filter(pk__in=scope_for(user).school_ids)


# --- Provision lines and the rate card --------------------------------------------------


def lines_of(fr: FundingRequest) -> list[ProvisionLine]:
    """The request's provision lines with their rate card roles, prefetched or in one query."""
    if "provision_lines" in getattr(fr, "_prefetched_objects_cache", {}):
        return list(fr.provision_lines.all())
    return list(fr.provision_lines.select_related("rate_card"))


def provision_line(fr: FundingRequest, line_id: Any) -> ProvisionLine:
    """One of the request's lines (the caller has already found the request in scope)."""
    return get_object_or_404(ProvisionLine, request=fr, pk=line_id)


def rate_card_for(fr: FundingRequest) -> list[RateCardEntry]:
    """The rate card for the year the request's staffing is costed at (no pupil detail:
    the card is the LA's published rates)."""
    return RateCardEntry.card(rules.rate_year(fr))


def rate_card_by_year() -> list[tuple[int, list[RateCardEntry]]]:
    """Every rate on the card, newest year first."""
    years: dict[int, list[RateCardEntry]] = {}
    for entry in RateCardEntry.objects.order_by("-year", "role"):
        years.setdefault(entry.year, []).append(entry)
    return list(years.items())


def need_bands() -> QuerySet[NeedBand]:
    """Every band with how many requests (drafts included) are placed in it."""
    live = Q(fundingrequest__deleted_at__isnull=True)
    return NeedBand.objects.annotate(requests_using=Count("fundingrequest", filter=live)).order_by(
        "need", "band"
    )


def need_band(band_id: Any) -> NeedBand:
    return get_object_or_404(need_bands(), pk=band_id)


def rates() -> QuerySet[RateCardEntry]:
    return RateCardEntry.objects.order_by("-year", "role")


def rate(rate_id: Any) -> RateCardEntry:
    return get_object_or_404(RateCardEntry, pk=rate_id)


# --- Continuations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Continuation:
    """A continuation beside the request it continues: what changed, and the earlier
    request's outcome review, outcome by outcome (None before its review)."""

    earlier: FundingRequest
    changes: list[rules.Change]
    review: OutcomeReview | None
    results: list[OutcomeResult]


def same_pupil_requests(user: AbstractBaseUser, fr: FundingRequest) -> list[FundingRequest]:
    """The pupil's other requests (same pupil key: any school, any year) that ``user``
    may see, newest first; none for a user who does not see pupil detail."""
    if not fr.pupil_key or not shows_pupil_detail(user):
        return []
    others = visible_requests(user).filter(pupil_key=fr.pupil_key).exclude(pk=fr.pk)
    return list(others.order_by("-created_at")[:50])


def continuation_of(
    fr: FundingRequest, lines: list[ProvisionLine] | None = None
) -> Continuation | None:
    """The continuation view of ``fr`` (None when it continues nothing). The caller has
    found ``fr`` in the user's scope, or decided they read its papers: the earlier request
    is the same school's, about the same pupil."""
    if fr.continues_id is None:
        return None
    earlier = FundingRequest.objects.select_related("band").get(pk=fr.continues_id)
    current = FundingRequest.objects.select_related("band").get(pk=fr.pk)
    earlier_lines = list(ProvisionLine.objects.filter(request=earlier).order_by("order"))
    lines = (
        list(ProvisionLine.objects.filter(request=fr).order_by("order")) if lines is None else lines
    )
    review = OutcomeReview.objects.filter(request=earlier).first()
    results = list(review.results.all()) if review else []
    return Continuation(
        earlier=earlier,
        changes=rules.changes_since(earlier, current, earlier_lines, lines),
        review=review,
        results=results,
    )


# --- Intention to request notices ------------------------------------------------------


def visible_notices(user: AbstractBaseUser) -> QuerySet[IntentionNotice]:
    """The notices ``user`` may see: LA SEND officers every school's, staff their own."""
    scope = scope_for(user)
    qs = IntentionNotice.objects.select_related("school", "cluster", "stream", "request")
    if scope.is_send_officer:
        return qs
    if scope.school_ids:
        return qs.filter(school_id__in=scope.school_ids)
    return qs.none()


def get_notice(user: AbstractBaseUser, pk: Any) -> IntentionNotice:
    return get_object_or_404(visible_notices(user), pk=pk)


@dataclass(frozen=True)
class NoticeGroup:
    cluster: Cluster
    month: date
    notices: list[IntentionNotice]


def notices_for_planning(user: AbstractBaseUser, *, waiting_only: bool = True) -> list[NoticeGroup]:
    """The notices by cluster and the month the school expects to submit (the LA plans
    each panel's agenda from these); by default those not yet turned into a request."""
    qs = visible_notices(user)
    if waiting_only:
        qs = qs.filter(Q(request__isnull=True) | Q(request__state=State.DELETED))
    groups: dict[tuple[int, date], NoticeGroup] = {}
    for notice in qs.order_by("cluster__name", "expected_month", "pk"):
        key = (notice.cluster_id, notice.expected_month)
        if key not in groups:
            groups[key] = NoticeGroup(notice.cluster, notice.expected_month, [])
        groups[key].notices.append(notice)
    return list(groups.values())


def drafts_held_by(user: AbstractBaseUser, school) -> list[FundingRequest]:
    """The drafts ``user`` holds at ``school`` (a leaver's, to hand to another SENCO: the
    accounts app's ``end_membership``). Not scoped: the caller is the LA's people page."""
    return list(
        FundingRequest.objects.select_related("stream")
        .filter(school=school, created_by_id=user.pk, state=State.DRAFT)
        .order_by("pk")
    )


# --- The retention schedule (funding/retention.py; docs/architecture.md §11) ----------


@dataclass(frozen=True)
class DuePurge:
    """A request some class of whose data the schedule removes now."""

    request_id: int
    reference: str
    state: str
    ended_at: datetime
    classes: tuple[str, ...]
    documents: int


def due_for_retention(now: datetime | None = None) -> list[DuePurge]:
    """Every ended request with a class of data past its years and not yet removed, in
    two queries whatever the county's size (no list of ids is sent back)."""
    from .models import RetentionClass, RetentionPurge
    from .retention import cutoffs

    now = now or timezone.now()
    cut = cutoffs(now)
    ended = Q(state__in=ENDED, state_changed_at__lt=max(cut.values()))
    fully_purged = (
        RetentionPurge.objects.values("request")
        .annotate(n=Count("pk"))
        .filter(n=len(RetentionClass.values))
        .values("request")
    )
    documents = (
        RequestDocument.objects.filter(request=OuterRef("pk"))
        .order_by()
        .values("request")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = list(
        FundingRequest.with_deleted.filter(ended)
        .exclude(pk__in=fully_purged)
        .annotate(n_documents=Coalesce(Subquery(documents), 0))
        .order_by("state_changed_at", "pk")
        .values_list("pk", "reference", "state", "state_changed_at", "n_documents")
    )
    done: dict[int, set[str]] = {}
    for request_id, data_class in RetentionPurge.objects.filter(
        request__state__in=ENDED, request__state_changed_at__lt=max(cut.values())
    ).values_list("request_id", "data_class"):
        done.setdefault(request_id, set()).add(data_class)
    due = []
    for pk, reference, state, ended_at, n_documents in rows:
        classes = tuple(
            c for c in RetentionClass.values if ended_at < cut[c] and c not in done.get(pk, ())
        )
        if classes:
            due.append(
                DuePurge(pk, reference or f"Draft #{pk}", state, ended_at, classes, n_documents)
            )
    return due
