"""Every read of the panels app, scoped by user: outside the scope is a 404.

Panel members see their own panel; LA officers see every panel (a finance
officer without pupil detail). The meeting page is built from a fixed set of
queries whatever the number of items and members.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from statistics import mean

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from clusters.models import School
from funding.models import FundingRequest, ProvisionLine, RequestDocument, RequestEvent, ReviewCycle
from funding.workflow import AWAITING_PANEL
from portal.roles import Scope, scope_for

from . import policy
from .models import (
    CRITERIA,
    AgendaItem,
    Appeal,
    Attendance,
    ChairsActionProposal,
    Decision,
    DecisionAction,
    Letter,
    LetterTemplate,
    Meeting,
    MeetingStatus,
    ModerationView,
    Outcome,
    Panel,
    PanelMember,
    ProposalStatus,
    SpreadReveal,
)
from .recusal import Quorum, Recusals, quorum, recusals_for

# --- The panel that serves a request, its chair and its next meeting ----------------
# (Reads other apps use too: funding's task list shows the next meeting.)


def panel_for_cluster(cluster_id: int | None) -> Panel | None:
    """The cluster's panel, or the district's if the LA runs one there instead."""
    if cluster_id is None:
        return None
    return (
        Panel.objects.filter(Q(cluster_id=cluster_id) | Q(district__clusters__id=cluster_id))
        .order_by("district")  # a cluster panel (district null) first
        .first()
    )


def panel_for_request(funding_request: FundingRequest) -> Panel | None:
    """The panel that hears the request: its cluster's, or its district's."""
    return panel_for_cluster(funding_request.cluster_id)


def current_chair(panel: Panel, *, today: date | None = None) -> PanelMember | None:
    """The rota's chair in post: who chaired the latest meeting held, else the next one's."""
    today = today or timezone.localdate()
    live = panel.meetings.exclude(status=MeetingStatus.CANCELLED).filter(chair__isnull=False)
    meeting = live.filter(date__lte=today).order_by("-date").first() or (
        live.filter(date__gt=today).order_by("date").first()
    )
    return meeting.chair if meeting else None


def next_open_meeting(panel: Panel, *, today: date | None = None) -> Meeting | None:
    """The next meeting still taking requests (its closing date not passed)."""
    return (
        panel.meetings.filter(
            status=MeetingStatus.SCHEDULED, closing_date__gte=today or timezone.localdate()
        )
        .order_by("date")
        .first()
    )


def deferral_choices(meeting: Meeting, *, today: date | None = None) -> QuerySet[Meeting]:
    """The meetings an item of ``meeting`` may be deferred to: the panel's later scheduled
    ones (``services.scheduling.deferral_refusal`` is the rule, refusing anything else)."""
    return Meeting.objects.filter(
        panel_id=meeting.panel_id,
        status=MeetingStatus.SCHEDULED,
        date__gt=meeting.date,
        date__gte=today or timezone.localdate(),
    ).order_by("date", "pk")


def later_meeting(meeting: Meeting, *, today: date | None = None) -> Meeting | None:
    """The panel's next scheduled meeting after ``meeting`` (and not in the past): where
    its items go when it closes without reaching them, or is cancelled."""
    return deferral_choices(meeting, today=today).first()


def next_meeting_for_cluster(
    cluster_id: int | None, *, today: date | None = None
) -> Meeting | None:
    """The next meeting taking requests of the panel serving the cluster (or its district)."""
    panel = panel_for_cluster(cluster_id)
    return next_open_meeting(panel, today=today) if panel else None


def visible_panels(user: AbstractBaseUser) -> QuerySet[Panel]:
    scope = scope_for(user)
    panels = Panel.objects.select_related("cluster", "district")
    if scope.is_la:
        return panels
    if not scope.roles:
        # No current membership (a leaver): no panel, whatever seats remain.
        return panels.none()
    # A seat for a school the user has left gives nothing (their scope no longer has it).
    seats = PanelMember.objects.filter(panel=OuterRef("pk"), user=user).filter(
        Q(school__isnull=True) | Q(school_id__in=scope.school_ids)
    )
    return panels.filter(Exists(seats))


def get_panel(user: AbstractBaseUser, pk: int) -> Panel:
    try:
        return visible_panels(user).get(pk=pk)
    except Panel.DoesNotExist:
        raise Http404("No such panel") from None


def visible_meetings(user: AbstractBaseUser) -> QuerySet[Meeting]:
    return Meeting.objects.filter(panel__in=visible_panels(user)).select_related(
        "panel", "chair__user", "rota_chair__user"
    )


def get_meeting(user: AbstractBaseUser, pk: int) -> Meeting:
    try:
        return visible_meetings(user).get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404("No such meeting") from None


def visible_items(user: AbstractBaseUser) -> QuerySet[AgendaItem]:
    return AgendaItem.objects.filter(meeting__in=visible_meetings(user)).select_related(
        "meeting",
        "meeting__panel",
        "meeting__chair__user",
        "acting_chair__user",
        "request",
        "request__school",
        "request__stream",
    )


def get_item(user: AbstractBaseUser, pk: int) -> AgendaItem:
    try:
        return visible_items(user).get(pk=pk)
    except AgendaItem.DoesNotExist:
        raise Http404("No such agenda item") from None


def meetings_with_minutes(user: AbstractBaseUser) -> QuerySet[Meeting]:
    """Closed meetings whose minutes the user may read: their panel's, or their cluster's."""
    scope = scope_for(user)
    closed = Meeting.objects.filter(minutes_published_at__isnull=False).select_related(
        "panel", "chair__user", "rota_chair__user"
    )
    if scope.is_la:
        return closed
    return closed.filter(
        Q(panel__in=visible_panels(user)) | Q(panel__cluster_id__in=scope.cluster_ids)
    )


def get_minutes_meeting(user: AbstractBaseUser, pk: int) -> Meeting:
    try:
        return meetings_with_minutes(user).get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404("No such minutes") from None


def visible_decisions(user: AbstractBaseUser) -> QuerySet[Decision]:
    """A decision is visible to the requesting school, the panel and the LA."""
    scope = scope_for(user)
    decisions = Decision.objects.select_related(
        "request", "request__school", "item__meeting", "chair", "deferred_to"
    )
    if scope.is_la:
        return decisions
    panels = visible_panels(user)
    return decisions.filter(
        Q(request__school_id__in=scope.school_ids)
        | Q(item__meeting__panel__in=panels)
        | Q(request__cluster__panel__in=panels)
    )


def get_decision(user: AbstractBaseUser, pk: int) -> Decision:
    try:
        return visible_decisions(user).get(pk=pk)
    except Decision.DoesNotExist:
        raise Http404("No such decision") from None


def visible_appeals(user: AbstractBaseUser) -> QuerySet[Appeal]:
    """An appeal is seen by the requesting school and the LA (it is about the school's case)."""
    scope = scope_for(user)
    appeals = Appeal.objects.select_related("request", "meeting").order_by("-recorded_at", "-pk")
    if scope.is_la:
        return appeals
    return appeals.filter(request__school_id__in=scope.school_ids)


def membership_for(user: AbstractBaseUser, meeting: Meeting, members) -> PanelMember | None:
    for m in members:
        if m.user_id == user.pk and m.serves_on(meeting.date):
            return m
    return None


def sees_pupil_detail(scope: Scope, member: PanelMember | None) -> bool:
    """Panel members read pseudonymised papers; finance officers see totals only."""
    return scope.sees_pupil_detail or member is not None


@dataclass
class Spread:
    """How the members' views of an item spread, criterion by criterion (each row: the
    lowest, highest, total and mean score)."""

    rows: list[dict]
    recommendations: dict[str, int]
    disagree: bool
    count: int


def spread(views: list[ModerationView]) -> Spread | None:
    if not views:
        return None
    rows = []
    disagree = False
    for name, label in CRITERIA:
        scores = [getattr(v, name) for v in views]
        gap = max(scores) - min(scores)
        # Two points apart on a four-point scale is a real disagreement.
        disagree = disagree or gap >= 2
        rows.append(
            {
                "criterion": name,
                "label": label,
                "min": min(scores),
                "max": max(scores),
                "total": sum(scores),
                "mean": round(mean(scores), 1),
                "disagree": gap >= 2,
            }
        )
    recommendations: dict[str, int] = defaultdict(int)
    for v in views:
        recommendations[v.get_recommendation_display()] += 1
    disagree = disagree or len(recommendations) > 1
    return Spread(rows, dict(recommendations), disagree, len(views))


@dataclass
class ItemRow:
    item: AgendaItem
    recused: list[tuple[PanelMember, str]]
    user_recused: bool
    # None: the user may not see the others' views (recused, or not yet recorded their own
    # and not revealed: ``policy.sees_views``).
    views: list[ModerationView] | None
    my_view: ModerationView | None
    view_count: int
    spread: Spread | None
    quorum: Quorum | None
    decision: Decision | None
    # The user reads the item's full papers (``policy.reads_papers``); else only its title.
    reads_papers: bool = False
    # Why the meeting's chair is recused from the item (None: they chair it), who chairs
    # it instead, and (for whoever runs an open meeting) the members who could.
    chair_recused: str | None = None
    acting_chair: PanelMember | None = None
    acting_chair_reason: str = ""
    eligible_chairs: list[PanelMember] = field(default_factory=list)
    # Independent moderation: the chair's reveal (None: not revealed), whether the user sees
    # each criterion's total (the item's chair), and the reason of the conflict the user
    # declared on it and may withdraw (None: none, or recused from their own school).
    reveal: SpreadReveal | None = None
    sees_totals: bool = False
    my_conflict: str | None = None
    # The school's awards and report figures (``panels.room.meeting_room`` sets it).
    school_context: object | None = None
    # The user chairs this item at the open meeting and may record its decision now.
    decides: bool = False

    @property
    def blind(self) -> bool:
        """The user has a view to record before the others' are shown to them."""
        return self.views is None and not self.user_recused

    @property
    def needs_acting_chair(self) -> bool:
        return bool(self.chair_recused) and self.acting_chair is None and self.decision is None


@dataclass
class MeetingPage:
    meeting: Meeting
    members: list[PanelMember]
    present_ids: set[int]
    quorum: Quorum
    rows: list[ItemRow]
    me: PanelMember | None
    is_chair: bool
    pupil_detail: bool
    scope: Scope
    schools_present: list[School] = field(default_factory=list)
    vice_chair: PanelMember | None = None

    @property
    def is_open(self) -> bool:
        return self.meeting.status == MeetingStatus.OPEN

    @property
    def chair_recused_rows(self) -> list[ItemRow]:
        """Items the meeting's chair is recused from (the agenda warns of them)."""
        return [r for r in self.rows if r.chair_recused]

    @property
    def current_members(self) -> list[PanelMember]:
        return [m for m in self.members if m.serves_on(self.meeting.date)]


def meeting_page(user: AbstractBaseUser, meeting: Meeting) -> MeetingPage:
    """The agenda with everything the user may see, in a constant number of queries.

    Queries: members, school memberships of members, conflicts, attendance, items
    (with request, school, stream, decision), views — whatever the sizes.
    """
    scope = scope_for(user)
    panel = meeting.panel
    members = list(
        PanelMember.objects.filter(panel=panel).select_related("user", "school").order_by("pk")
    )
    me = membership_for(user, meeting, members)
    is_chair = policy.can_chair(user, meeting)
    items = list(
        meeting.items.select_related(
            "request",
            "request__school__cluster",
            "request__stream",
            "decision",
            "decision__deferred_to",
            "reveal__revealed_by",
        ).prefetch_related(
            Prefetch(
                "views",
                queryset=ModerationView.objects.select_related("member__user").order_by("pk"),
            )
        )
    )
    recusals = Recusals(items, members)
    present = [
        a.member
        for a in Attendance.objects.filter(meeting=meeting).select_related("member", "school")
    ]
    present_ids = {m.pk for m in present}
    by_id = {m.pk: m for m in members}
    present = [by_id.get(m.pk, m) for m in present]
    whole = quorum(panel, present, meeting.chair_id)
    may_name_chairs = policy.can_name_acting_chair(user, meeting)
    reads_reasons = policy.reads_conflict_reasons(user)
    own_seats = [m.pk for m in members if m.user_id == user.pk]
    rows = []
    for item in items:
        item.meeting = meeting
        recused = recusals.for_item(item)
        chair_recused = recusals.chair_recusal(item) if item.kind == "decision" else None
        acting = by_id.get(item.acting_chair_id)
        if acting is not None:
            item.acting_chair = acting  # loaded with the members: no query per item
        decision = getattr(item, "decision", None)
        eligible = []
        if may_name_chairs and chair_recused and decision is None:
            vice_id = panel.vice_chair_id
            eligible = sorted(
                (
                    m
                    for m in members
                    if policy.acting_chair_refusal(
                        m, item, present_ids=present_ids, recusals=recusals
                    )
                    is None
                ),
                key=lambda m: (m.pk != vice_id, m.name),
            )
        user_recused = recusals.user_recused(item, user.pk, scope.school_ids)
        views = list(item.views.all())
        my_view = next((v for v in views if me and v.member_id == me.pk), None)
        reveal = getattr(item, "reveal", None)
        sees = policy.sees_views(
            scope,
            me,
            recused=user_recused,
            recorded_own=my_view is not None,
            revealed=reveal is not None,
        )
        visible = views if sees else None
        declared = recusals.declared.get((item.pk, me.pk)) if me else None
        reads = policy.reads_papers(scope, me, user_recused)
        rows.append(
            ItemRow(
                item=item,
                recused=recusals.shown_for_item(item, full=reads_reasons, own_ids=own_seats),
                user_recused=user_recused,
                views=visible,
                my_view=my_view,
                view_count=len(views),
                spread=spread(visible) if visible is not None else None,
                quorum=quorum(
                    panel, present, item.item_chair_id, excluded_ids={m.pk for m, _ in recused}
                )
                if present
                else None,
                decision=decision,
                reads_papers=reads,
                chair_recused=chair_recused,
                acting_chair=acting,
                acting_chair_reason=item.acting_chair_reason,
                eligible_chairs=eligible,
                reveal=reveal,
                sees_totals=visible is not None and policy.sees_spread_totals(user, item),
                my_conflict=declared if declared and not recusals.from_school(item, me) else None,
                decides=decision is None
                and not user_recused
                and policy.can_decide_item(user, item),
            )
        )
    schools = {m.school.pk: m.school for m in present if m.school_id}
    return MeetingPage(
        meeting=meeting,
        members=members,
        present_ids=present_ids,
        quorum=whole,
        rows=rows,
        me=me,
        is_chair=is_chair,
        pupil_detail=sees_pupil_detail(scope, me),
        scope=scope,
        schools_present=sorted(schools.values(), key=lambda s: s.name),
        vice_chair=by_id.get(panel.vice_chair_id),
    )


def chair_recusal(item: AgendaItem) -> str | None:
    """Why the meeting's chair is recused from ``item`` (None: they chair it): scheduling
    warns the LA officer with it."""
    return recusals_for([item], item.meeting.panel).chair_recusal(item)


def item_row(user: AbstractBaseUser, item: AgendaItem) -> tuple[MeetingPage, ItemRow]:
    """One item's row (the meeting page trimmed to it)."""
    page = meeting_page(user, item.meeting)
    row = next(r for r in page.rows if r.item.pk == item.pk)
    return page, row


# --- Panel papers and the agenda pack ---------------------------------------------

# The timeline events that belong in the papers: the LA's note for the panel (its triage
# message) and each return, with the school's answer (the resubmission's message).
PAPERS_EVENTS = ("triage", "return", "request_information", "resubmit")


@dataclass
class Papers:
    """An item's papers beyond the request itself (the request comes with the item)."""

    documents: list[RequestDocument]
    cycles: list[ReviewCycle]
    provision_lines: list[ProvisionLine]
    triage_notes: list[RequestEvent]
    returns: list[RequestEvent]  # questions (return, request_information) and answers (resubmit)


def papers_for(request_ids: list[int]) -> dict[int, Papers]:
    """The papers of several requests in four queries, whatever their number. The caller
    has decided who may read them (``policy.reads_papers``)."""
    papers = {pk: Papers([], [], [], [], []) for pk in request_ids}
    if not papers:
        return papers
    for doc in RequestDocument.objects.filter(request_id__in=request_ids).order_by(
        "uploaded_at", "pk"
    ):
        papers[doc.request_id].documents.append(doc)
    for cycle in ReviewCycle.objects.filter(request_id__in=request_ids):
        papers[cycle.request_id].cycles.append(cycle)
    for line in ProvisionLine.objects.filter(request_id__in=request_ids).select_related(
        "rate_card"
    ):
        papers[line.request_id].provision_lines.append(line)
    events = RequestEvent.objects.filter(
        request_id__in=request_ids, kind__in=PAPERS_EVENTS
    ).exclude(message="")
    for event in events.order_by("created_at", "pk"):
        entry = papers[event.request_id]
        (entry.triage_notes if event.kind == "triage" else entry.returns).append(event)
    return papers


def item_papers(
    user: AbstractBaseUser, item: AgendaItem
) -> tuple[MeetingPage, ItemRow, Papers | None]:
    """One item's row and, for those who may read them, its papers (None: recused)."""
    page, row = item_row(user, item)
    papers = papers_for([item.request_id]).get(item.request_id) if row.reads_papers else None
    return page, row, papers


@dataclass
class AgendaPack:
    page: MeetingPage
    papers: dict[int, Papers]  # by request id: only the items the user reads the papers of

    @property
    def entries(self) -> list[tuple[ItemRow, Papers | None]]:
        return [(r, self.papers.get(r.item.request_id)) for r in self.page.rows]

    @property
    def request_ids(self) -> list[int]:
        return list(self.papers)


def agenda_pack(user: AbstractBaseUser, meeting: Meeting) -> AgendaPack:
    """The meeting's agenda with each item's papers, for the pack (constant queries: the
    meeting page's, then four). Items the user is recused from keep their title only."""
    page = meeting_page(user, meeting)
    readable = [r.item.request_id for r in page.rows if r.reads_papers]
    return AgendaPack(page, papers_for(readable))


def rota_for(panel: Panel, year_meetings: QuerySet[Meeting] | None = None) -> dict:
    """The year's meetings with chairs, and how many each head chairs."""
    meetings = list(
        (year_meetings if year_meetings is not None else panel.meetings.all())
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("chair__user", "rota_chair__user")
        .annotate(item_count=Count("items"))
        .order_by("date")
    )
    counts: dict[int, int] = defaultdict(int)
    for m in meetings:
        if m.chair_id:
            counts[m.chair_id] += 1
    return {"meetings": meetings, "counts": counts}


def panel_members(panel: Panel) -> list[PanelMember]:
    return list(
        PanelMember.objects.filter(panel=panel)
        .select_related("user", "school")
        .prefetch_related("absences")
        .order_by("end_date", "role", "pk")
    )


def schedulable_requests(user: AbstractBaseUser) -> QuerySet[FundingRequest]:
    """Requests waiting for a panel (``funding.selectors.awaiting_panel``), for LA SEND
    officers only."""
    from funding.selectors import awaiting_panel  # funding's selectors read panels' too

    if not policy.can_manage_panels(user):
        return FundingRequest.objects.none()
    return (
        awaiting_panel()
        .select_related("school", "cluster", "stream")
        .order_by("submitted_at", "pk")
    )


def participation(user: AbstractBaseUser, panel: Panel) -> list[dict]:
    """Each cluster school with how many of the panel's closed meetings it attended."""
    if not scope_for(user).is_la or panel.cluster_id is None:
        raise Http404("No such report")
    held = panel.meetings.filter(status=MeetingStatus.CLOSED)
    schools = (
        School.objects.filter(cluster_id=panel.cluster_id)
        .annotate(
            attended=Count(
                "panel_attendance__meeting",
                filter=Q(panel_attendance__meeting__in=held),
                distinct=True,
            )
        )
        .order_by("attended", "name")
    )
    total = held.count()
    return [{"school": s, "attended": s.attended, "held": total} for s in schools]


def meetings_for_dashboard(user: AbstractBaseUser, *, limit: int = 5) -> list[Meeting]:
    return list(
        visible_meetings(user)
        .filter(status__in=[MeetingStatus.SCHEDULED, MeetingStatus.OPEN])
        .annotate(item_count=Count("items"))
        .order_by("date")[:limit]
    )


def minutes(meeting: Meeting) -> dict:
    """The meeting's record, pseudonymised: attendance, quorum, recusals, each decision."""
    members = list(PanelMember.objects.filter(panel=meeting.panel).select_related("user", "school"))
    items = list(
        meeting.items.select_related(
            "request",
            "request__school",
            "request__stream",
            "decision",
            "decision__deferred_to",
            "reveal",
        ).prefetch_related("decision__actions")
    )
    recusals = Recusals(items, members)
    by_id = {m.pk: m for m in members}
    present = [
        by_id[a.member_id]
        for a in Attendance.objects.filter(meeting=meeting)
        if a.member_id in by_id
    ]
    ratified_ids = [i.request_id for i in items if i.kind == "ratification"]
    chairs_actions = {
        d.request_id: d
        for d in Decision.objects.filter(
            request_id__in=ratified_ids, by_chairs_action=True
        ).prefetch_related("actions")
    }
    rows = [
        {
            "item": i,
            "decision": getattr(i, "decision", None) or chairs_actions.get(i.request_id),
            # Published to the cluster's schools: no declared conflict's reason.
            "recused": recusals.published_for_item(i),
            "acting_chair": by_id.get(i.acting_chair_id),
            "reveal": getattr(i, "reveal", None),
        }
        for i in items
    ]
    schools = sorted({m.school for m in present if m.school_id}, key=lambda s: s.name)
    return {
        "present": present,
        "absent": [m for m in members if m.serves_on(meeting.date) and m not in present],
        "quorum": quorum(meeting.panel, present, meeting.chair_id),
        "rows": rows,
        "schools": schools,
    }


def reviews_owed(user: AbstractBaseUser) -> list[FundingRequest]:
    """The school's funded requests whose review date has come."""
    school_ids = scope_for(user).school_ids
    return list(
        FundingRequest.objects.filter(school_id__in=school_ids, state="review_due")
        .select_related("school")
        .order_by("state_changed_at")[:20]
    )


def request_for_review(user: AbstractBaseUser, pk: int) -> FundingRequest:
    """A request whose outcomes the user may report: only the requesting school's own
    staff (the page and the API alike); anyone else, panel members included, gets 404."""
    from funding.selectors import get_request

    fr = get_request(user, pk)
    if fr.school_id not in scope_for(user).school_ids:
        raise Http404("Not found")
    return fr


def urgent_awaiting_chair(user: AbstractBaseUser) -> list[FundingRequest]:
    """Urgent requests the LA has made ready, on the panels the user chairs now: the chair's
    dashboard links each to the chair's action page (nothing else leads there)."""
    chaired = [
        p
        for p in Panel.objects.filter(members__user=user).distinct()
        if (chair := current_chair(p)) is not None and chair.user_id == user.pk
    ]
    if not chaired:
        return []
    where = Q(pk__in=[])
    for p in chaired:
        where |= Q(cluster_id=p.cluster_id) if p.cluster_id else Q(cluster__district=p.district_id)
    candidates = FundingRequest.objects.filter(
        where, request_type="urgent", state__in=AWAITING_PANEL
    ).select_related("school")
    ids = {p.pk for p in chaired}
    return [
        fr for fr in candidates.order_by("submitted_at")[:20] if panel_for_request(fr).pk in ids
    ]


def urgent_request_for_chair(user: AbstractBaseUser, pk: int) -> FundingRequest:
    """An urgent request the user may decide by chair's action (the rota's current chair
    of its panel), else 404: the chair is usually from another school."""
    fr = (
        FundingRequest.objects.filter(pk=pk, request_type="urgent")
        .select_related("school", "stream")
        .first()
    )
    panel = panel_for_request(fr) if fr else None
    chair = current_chair(panel) if panel else None
    if chair is None or chair.user_id != user.pk:
        raise Http404("No such request")
    return fr


# --- Chair's action ---------------------------------------------------------------


def visible_proposals(user: AbstractBaseUser) -> QuerySet[ChairsActionProposal]:
    """Chair's actions proposed: LA SEND officers see every one (one of them is named to
    answer it), the chair who proposed it sees theirs; anyone else none (404)."""
    proposals = ChairsActionProposal.objects.select_related(
        "request", "request__school", "request__stream", "proposed_by", "officer", "decision"
    )
    if policy.can_manage_panels(user):
        return proposals
    return proposals.filter(proposed_by_id=user.pk)


def get_proposal(user: AbstractBaseUser, pk: int) -> ChairsActionProposal:
    try:
        return visible_proposals(user).get(pk=pk)
    except ChairsActionProposal.DoesNotExist:
        raise Http404("No such chair's action") from None


def proposals_to_answer(user: AbstractBaseUser) -> list[ChairsActionProposal]:
    """The chair's actions waiting for this LA SEND officer's answer (their dashboard)."""
    return list(
        ChairsActionProposal.objects.filter(officer_id=user.pk, status=ProposalStatus.AWAITING)
        .select_related("request", "request__school", "proposed_by")
        .order_by("proposed_at", "pk")[:20]
    )


def proposals_for_request(user: AbstractBaseUser, fr: FundingRequest) -> list[ChairsActionProposal]:
    """The chair's actions on ``fr`` the user may see, latest first (the chair's page shows
    the one waiting, or why the last was refused)."""
    return list(visible_proposals(user).filter(request=fr)[:5])


# --- Letters and follow-ups ----------------------------------------------------------


def visible_letters(user: AbstractBaseUser) -> QuerySet[Letter]:
    """A decision letter is read by its school's staff, the meeting's chair and LA SEND
    officers; anyone else (a finance officer too: it names the pupil by initials) gets 404."""
    scope = scope_for(user)
    letters = Letter.objects.select_related(
        "run__meeting__panel",
        "run__meeting__chair__user",
        "item__request",
        "item__request__school",
        "item__request__stream",
        "school",
        "decision",
    ).order_by("run__meeting__date", "item__order", "pk")
    if scope.is_send_officer:
        return letters
    if scope.user_id is None:
        return letters.none()
    return letters.filter(
        Q(school_id__in=scope.school_ids) | Q(run__meeting__chair__user_id=scope.user_id)
    )


def get_letter(user: AbstractBaseUser, pk: int) -> Letter:
    try:
        return visible_letters(user).get(pk=pk)
    except Letter.DoesNotExist:
        raise Http404("No such letter") from None


@dataclass
class MeetingLetters:
    meeting: Meeting
    letters: list[Letter]
    sent_at: object = None  # when the run went (None: the meeting is not closed yet)


def meeting_letters(user: AbstractBaseUser, meeting_pk: int) -> MeetingLetters:
    """The meeting's letters the user may read (one query, whatever their number). 404 to
    whoever may read none of them, unless they run the panels (LA SEND officers)."""
    letters = list(visible_letters(user).filter(run__meeting_id=meeting_pk))
    if letters:
        run = letters[0].run
        return MeetingLetters(run.meeting, letters, run.sent_at)
    meeting = None
    if policy.can_manage_panels(user):
        meeting = visible_meetings(user).filter(pk=meeting_pk).first()
    if meeting is None:
        raise Http404("No such letters")
    run = getattr(meeting, "letter_run", None) if meeting.status == MeetingStatus.CLOSED else None
    return MeetingLetters(meeting, [], run.sent_at if run else None)


def letter_templates() -> list[LetterTemplate]:
    """One template per outcome, in the outcomes' order (the LA's wording, else the
    portal's starting wording, unsaved)."""
    from .letters import default_template

    saved = {t.outcome: t for t in LetterTemplate.objects.select_related("updated_by")}
    return [saved.get(o) or default_template(o) for o in Outcome.values]


def letter_template(outcome: str) -> LetterTemplate:
    from .letters import default_template

    if outcome not in Outcome.values:
        raise Http404("No such letter template")
    return LetterTemplate.objects.filter(outcome=outcome).first() or default_template(outcome)


def visible_follow_ups(user: AbstractBaseUser) -> QuerySet[DecisionAction]:
    """Follow-ups are seen wherever their decision is."""
    return (
        DecisionAction.objects.filter(decision__in=visible_decisions(user))
        .select_related("decision", "decision__request")
        .order_by("due_by", "pk")
    )


def undecided_items(meeting: Meeting) -> QuerySet[AgendaItem]:
    """Items still waiting on the agenda (a request withdrawn meanwhile has nothing to
    defer): what closing the meeting defers."""
    from funding.workflow import State

    return meeting.items.filter(
        kind="decision", decision__isnull=True, request__state=State.ON_AGENDA
    ).select_related("request")


@dataclass
class ClosePreview:
    """What closing the meeting will do, shown before the chair confirms it."""

    meeting: Meeting
    # Items not decided: each is deferred, to ``onward`` (on its agenda) if there is one.
    undecided: list[AgendaItem]
    onward: Meeting | None
    minutes: dict
    cluster_schools: int
    decided: int

    @property
    def schools_told_of_deferral(self) -> list[School]:
        return sorted({i.request.school for i in self.undecided}, key=lambda s: s.name)


def close_preview(user: AbstractBaseUser, meeting: Meeting) -> ClosePreview:
    """For whoever runs the open meeting: the items to be deferred and where to, the
    minutes as they will be published, and who is told (404 for anyone else)."""
    if not policy.can_close_meeting(user, meeting):
        raise Http404("Not found")
    undecided = list(undecided_items(meeting).select_related("request__school", "request__stream"))
    cluster_schools = (
        School.objects.filter(cluster_id=meeting.panel.cluster_id).count()
        if meeting.panel.cluster_id
        else 0
    )
    return ClosePreview(
        meeting=meeting,
        undecided=undecided,
        onward=later_meeting(meeting),
        minutes=minutes(meeting),
        cluster_schools=cluster_schools,
        decided=Decision.objects.filter(item__meeting=meeting).count(),
    )


@dataclass
class CancelPreview:
    """What cancelling the meeting would do: where its agenda goes, who is told."""

    meeting: Meeting
    items: list[AgendaItem]
    onward: Meeting | None
    members: int
    schools: list[School]


def cancel_preview(meeting: Meeting) -> CancelPreview:
    from funding.workflow import State

    items = list(
        meeting.items.filter(request__state=State.ON_AGENDA)
        .select_related("request", "request__school")
        .order_by("order", "pk")
    )
    members = [
        m
        for m in PanelMember.objects.filter(panel_id=meeting.panel_id)
        if m.serves_on(meeting.date)
    ]
    return CancelPreview(
        meeting=meeting,
        items=items,
        onward=later_meeting(meeting),
        members=len(members),
        schools=sorted({i.request.school for i in items}, key=lambda s: s.name),
    )


@dataclass
class BulkSchedule:
    """The bulk scheduling page: ready requests as filtered, and the meetings to put them on."""

    requests: list[FundingRequest]
    meetings: list[Meeting]


def bulk_schedule(
    user: AbstractBaseUser,
    *,
    cluster: int | None = None,
    stream: int | None = None,
    need: str = "",
    today: date | None = None,
) -> BulkSchedule:
    """Requests waiting for a panel, filtered by cluster, stream and primary need, with the
    meetings still taking requests: two queries whatever the number (LA SEND officers)."""

    waiting = schedulable_requests(user)
    if cluster:
        waiting = waiting.filter(cluster_id=cluster)
    if stream:
        waiting = waiting.filter(stream_id=stream)
    if need:
        waiting = waiting.filter(primary_need=need)
    meetings = (
        visible_meetings(user)
        .filter(status=MeetingStatus.SCHEDULED, closing_date__gte=today or timezone.localdate())
        .select_related("panel__cluster", "chair__school")
        .order_by("date", "panel__name")
    )
    if cluster:
        meetings = meetings.filter(
            Q(panel__cluster_id=cluster) | Q(panel__district__clusters__id=cluster)
        )
    return BulkSchedule(
        requests=list(waiting[:500]),
        meetings=list(meetings[:200]) if policy.can_manage_panels(user) else [],
    )


def schedulable_by_ids(user: AbstractBaseUser, ids: list[int]) -> list[FundingRequest]:
    """The chosen requests, in the order chosen, among those the user may schedule; an id
    outside them is not found."""
    found = {fr.pk: fr for fr in schedulable_requests(user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Http404("No such request to schedule")
    return [found[i] for i in dict.fromkeys(ids)]
