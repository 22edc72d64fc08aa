"""Every write of report runs: ask for one, produce it (in the worker), fail it, and
the termly schedule."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from clusters.models import Cluster, District
from funding import selectors as funding_selectors
from funding.models import FundingStream
from portal.errors import DomainError
from portal.notifications import announce
from portal.storage import private_storage

from . import figures, queries, rendering
from . import statistics as st
from .models import ReportKind, ReportRun, RunStatus, ScopeKind
from .policy import can_request

log = logging.getLogger(__name__)

GENERIC_FAILURE = (
    "The report could not be produced because of a problem in the portal. It was tried "
    "{attempts} times. Ask for it again; if it fails again, tell the portal support team "
    "the run number {pk}."
)


class ReportError(DomainError):
    """A problem the user can understand and act on; the run fails with this message."""


# ---------------------------------------------------------------- asking


EQUAL_WEIGHTS = {"roll": 1.0, "fsm": 1.0, "sen_support": 1.0}


def formula_weights(year: int) -> tuple[dict[str, float], str]:
    """The weights the finance officer allocated the financial year starting in April of
    ``year`` with (``budgets.AllocationRun``), and where they come from. Several funds'
    runs: their weights averaged by pot, which gives each cluster exactly the sum of the
    funds' formula shares (each run's weights add up to 1). None recorded: equal."""
    label = f"{year}/{(year + 1) % 100:02d}"
    try:
        runs = list(
            import_module("budgets.models")
            .AllocationRun.objects.filter(year__start_year=year)
            .values_list("pot", "weight_roll", "weight_fsm", "weight_sen_support")
        )
    except (ImportError, AttributeError):
        runs = []
    pot = sum((r[0] for r in runs), Decimal(0))
    if not pot:
        return dict(EQUAL_WEIGHTS), f"equal: no allocation by formula recorded for {label}"
    weights = {
        name: round(float(sum(r[0] * r[i] for r in runs) / pot), 4)
        for i, name in enumerate(("roll", "fsm", "sen_support"), start=1)
    }
    return weights, f"the LA's allocation formula for {label}"


def checked_weights(weights: dict) -> dict[str, float]:
    """Weights set for a run: each of roll, FSM and SEN support zero or more, adding up
    to more than zero (a need share from weights of nothing is no share at all)."""
    try:
        out = {k: float(Decimal(str(weights.get(k) or 0))) for k in EQUAL_WEIGHTS}
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ReportError("Give each weight as a number, like 50.") from exc
    if set(weights) - set(EQUAL_WEIGHTS):
        raise ReportError("The weights are for pupils on roll, FSM and SEN support only.")
    if min(out.values()) < 0:
        raise ReportError("A weight cannot be below zero.")
    if not sum(out.values()):
        raise ReportError(
            "The weights add up to zero: give pupils on roll, FSM or SEN support a weight."
        )
    return out


def default_parameters(
    academic_year: int, national_ehcp_pct: Decimal | float | str | None = None
) -> dict:
    weights, source = formula_weights(academic_year)
    return {
        "academic_year": academic_year,
        "national_ehcp_pct": None if national_ehcp_pct in (None, "") else str(national_ehcp_pct),
        "contribution_per_pupil": str(settings.SCHOOL_CONTRIBUTION_PER_PUPIL),
        "thresholds": asdict(st.Thresholds()),
        "weights": weights,
        "weights_source": source,
        # "Allocation expected by formula" uses the weights actually allocated with,
        # whatever weights the run sets for its shares of need.
        "allocation_weights": weights,
    }


def request_report(
    *,
    user: AbstractBaseUser | None,
    kind: str,
    scope_kind: str,
    scope_id: int | None,
    academic_year: int,
    national_ehcp_pct: Decimal | float | str | None = None,
    schedule_key: str | None = None,
    queue: bool = True,
    stream_id: int | None = None,
    unit_costs: dict[str, Decimal | str] | None = None,
    weights: dict | None = None,
    term: str | None = None,
) -> ReportRun:
    """Record the request and queue it for the worker once the transaction commits
    (``queue=False`` leaves it for the caller to produce in-process, as the demo does)."""
    if kind not in ReportKind.values or scope_kind not in ScopeKind.values:
        raise ReportError("Choose a kind of report and a scope.")
    if user is not None and not can_request(user, scope_kind, scope_id):
        raise PermissionDenied("You may ask only for reports on your own cluster.")
    district = cluster = None
    if scope_kind == ScopeKind.DISTRICT:
        district = District.objects.filter(pk=scope_id).first()
        if district is None:
            raise ReportError("Choose a district.")
    elif scope_kind == ScopeKind.CLUSTER:
        cluster = Cluster.objects.filter(pk=scope_id).first()
        if cluster is None:
            raise ReportError("Choose a cluster.")
    parameters = default_parameters(academic_year, national_ehcp_pct)
    if weights:
        parameters["weights"] = checked_weights(weights)
        parameters["weights_source"] = "set for this run"
    if kind == ReportKind.IMPACT:
        parameters["unit_costs"] = dict(settings.IMPACT_UNIT_COSTS)
    elif unit_costs or stream_id:
        raise ReportError("A fund and placement costs are for the impact report only.")
    if stream_id:
        if not FundingStream.objects.filter(pk=stream_id).exists():
            raise ReportError("Choose a fund.")
        parameters["stream_id"] = stream_id
    for name, cost in (unit_costs or {}).items():
        if name not in parameters["unit_costs"]:
            raise ReportError("Give the cost of a specialist or an AP placement.")
        if cost not in (None, ""):
            if Decimal(str(cost)) < 0:
                raise ReportError("The cost of a placement must be zero or more.")
            parameters["unit_costs"][name] = str(Decimal(str(cost)).quantize(Decimal("0.01")))
    if kind == ReportKind.KPI_PACK:
        if scope_kind != ScopeKind.COUNTY:
            raise ReportError("The Schools Forum KPI pack is for the whole county.")
        if term not in TERMS:
            raise ReportError("Choose the term of the Schools Forum KPI pack.")
        parameters = pack_parameters(academic_year, term, parameters)
    elif term:
        raise ReportError("A term is for the Schools Forum KPI pack only.")
    with transaction.atomic():
        run = ReportRun.objects.create(
            kind=kind,
            scope_kind=scope_kind,
            district=district,
            cluster=cluster,
            academic_year=academic_year,
            parameters=parameters,
            requested_by=user,
            schedule_key=schedule_key,
            progress_message="Waiting for the report worker",
        )
        if queue:
            transaction.on_commit(lambda: enqueue(run.pk))
    return run


def request_again(*, user: AbstractBaseUser, run: ReportRun) -> ReportRun:
    """The same report (kind, scope, year, parameters) produced afresh from today's data."""
    if not can_request(user, run.scope_kind, run.cluster_id or run.district_id):
        raise PermissionDenied("You may ask only for reports on your own cluster.")
    with transaction.atomic():
        again = ReportRun.objects.create(
            kind=run.kind,
            scope_kind=run.scope_kind,
            district_id=run.district_id,
            cluster_id=run.cluster_id,
            academic_year=run.academic_year,
            parameters=run.parameters,
            requested_by=user,
            progress_message="Waiting for the report worker",
        )
        transaction.on_commit(lambda: enqueue(again.pk))
    return again


def enqueue(run_id: int, generation: int = 0) -> None:
    """Send the run to the worker; ``generation`` is its number of requeues, so that
    a message the broker hands out late, after the run was sent again, is ignored."""
    from .tasks import produce_report

    queue = getattr(settings, "REPORTS_QUEUE", None)
    options = {"queue": queue} if queue else {}
    kwargs = {"generation": generation} if generation else {}
    produce_report.apply_async(args=[run_id], kwargs=kwargs, **options)


# ---------------------------------------------------------------- producing


def _params(run: ReportRun) -> figures.Params:
    p = run.parameters or {}
    try:
        national = p.get("national_ehcp_pct")
        national = None if national in (None, "") else float(Decimal(str(national)))
        if national is not None and not 0 <= national <= 100:
            raise ValueError("national % EHCP must be between 0 and 100")
        weights = {k: float(v) for k, v in (p.get("weights") or {}).items()}
        if weights and (min(weights.values()) < 0 or not sum(weights.values())):
            raise ValueError("the need weights must be positive")
        return figures.Params(
            year=run.academic_year,
            national_ehcp_pct=national,
            contribution_per_pupil=Decimal(
                str(p.get("contribution_per_pupil", settings.SCHOOL_CONTRIBUTION_PER_PUPIL))
            ),
            thresholds=st.Thresholds(**(p.get("thresholds") or {})),
            weights=weights or dict(EQUAL_WEIGHTS),
            allocation_weights={k: float(v) for k, v in (p.get("allocation_weights") or {}).items()}
            or None,
        )
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise ReportError(f"The report's parameters are not valid ({exc}).") from exc


def _scope(run: ReportRun) -> figures.ReportScope:
    if run.scope_kind == ScopeKind.CLUSTER:
        return figures.ReportScope("cluster", run.cluster_id, f"{run.cluster.name} cluster")
    if run.scope_kind == ScopeKind.DISTRICT:
        return figures.ReportScope("district", run.district_id, f"{run.district.name} district")
    return figures.ReportScope("county", None, "the county")


@contextmanager
def _snapshot():
    """Read every figure from one snapshot; yields the moment of that snapshot."""
    if connection.vendor == "postgresql":
        outer = connection.in_atomic_block  # already inside a transaction: use its snapshot
        with transaction.atomic():
            with connection.cursor() as cursor:
                if not outer:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                # The report's one statement is costed above jit_above_cost at national
                # scale, and compiling it takes longer (1-2 s) than the plan saves.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SELECT now()")
                (as_of,) = cursor.fetchone()
            yield as_of
    else:
        yield timezone.now()


def decision_clocks(year: int) -> figures.Clocks:
    """Each request submitted in the academic year and decided, on the decision clock of
    every page (``funding.selectors.decision_times``), by cluster."""
    window = queries.YearWindow(year)
    return figures.Clocks(
        funding_selectors.decision_target(),
        funding_selectors.decision_times(window.start, window.end),
    )


def compute(run: ReportRun) -> tuple[dict, datetime]:
    """The report's figures (plain JSON-ready data) and the time of the data they used."""
    params = _params(run)
    scope = _scope(run)
    if run.kind == ReportKind.IMPACT:
        return _compute_impact(run, scope, params)
    if run.kind == ReportKind.FORECAST:
        return _compute_forecast(run, scope)
    if run.kind == ReportKind.KPI_PACK:
        return _compute_pack(run)
    with _snapshot() as as_of:
        schools = queries.school_figures(
            run.academic_year, rates=run.kind == ReportKind.INCLUSIVENESS
        )
        clocks = (
            decision_clocks(run.academic_year) if run.kind == ReportKind.INCLUSIVENESS else None
        )
        allocations = (
            queries.allocations_by_cluster(run.academic_year)
            if run.kind == ReportKind.FAIR_SHARE
            else None
        )
    rows = figures.merge(schools, params)
    if not any(scope.contains(r) and r["has_stats"] for r in rows):
        raise ReportError(
            f"There are no school figures for {run.year_label} in {scope.label}: load the "
            "schools' yearly statistics (roll, SEN, exclusions) for that year, then ask again."
        )
    if run.kind == ReportKind.INCLUSIVENESS:
        result = figures.inclusiveness(rows, scope, params, clocks)
    else:
        result = figures.fair_share(rows, scope, params, allocations)
    result["title"] = f"{run.get_kind_display()} report: {scope.label}, {run.year_label}"
    return result, as_of


def _compute_impact(run: ReportRun, scope: figures.ReportScope, params) -> tuple[dict, datetime]:
    p = run.parameters or {}
    try:
        costs = {
            k: Decimal(str(v))
            for k, v in {**settings.IMPACT_UNIT_COSTS, **(p.get("unit_costs") or {})}.items()
        }
    except (InvalidOperation, TypeError) as exc:
        raise ReportError("The report's placement costs are not valid.") from exc
    stream_id = p.get("stream_id")
    stream = FundingStream.objects.filter(pk=stream_id).first() if stream_id else None
    with _snapshot() as as_of:
        rows = queries.impact_figures(
            run.academic_year,
            as_of=timezone.localdate(as_of),
            scope_kind=scope.kind,
            scope_id=scope.id,
            stream_id=stream.pk if stream else None,
        )
        equality = queries.equalities_figures(
            run.academic_year,
            scope_kind=scope.kind,
            scope_id=scope.id,
            stream_id=stream.pk if stream else None,
        )
    result = figures.impact(
        rows, scope, params, costs, stream.name if stream else None, equality_figures=equality
    )
    fund = f", {stream.name}" if stream else ""
    result["title"] = f"Impact report: {scope.label}{fund}, {run.year_label}"
    return result, as_of


def _compute_forecast(run: ReportRun, scope: figures.ReportScope) -> tuple[dict, datetime]:
    """The budget forecast of the financial year starting in April of the run's year
    (2025/26's budgets for the academic year 2025/26), as of the snapshot."""
    with _snapshot() as as_of:
        data = queries.forecast_figures(
            run.academic_year, as_of=as_of, scope_kind=scope.kind, scope_id=scope.id
        )
    if not data["budgets"] and not data["pipeline"]:
        raise ReportError(
            f"There are no budgets for {run.year_label} in {scope.label} and no undecided "
            "requests: allocate the year's budgets, then ask again."
        )
    result = figures.forecast(data, scope, run.academic_year, timezone.localdate(as_of))
    result["title"] = f"Budget forecast: {scope.label}, financial year {run.year_label}"
    return result, as_of


# ---------------------------------------------------------------- the Schools Forum pack

TERMS = ("autumn", "spring", "summer")
PACK_KINDS = (ReportKind.INCLUSIVENESS, ReportKind.FAIR_SHARE, ReportKind.IMPACT,
              ReportKind.FORECAST)  # fmt: skip


def pack_year(kind: str, academic_year: int, term: str) -> int:
    """The year each report of the pack is of: the academic year; the forecast the
    financial year the term falls in (the summer term, April to July, the next one)."""
    if kind == ReportKind.FORECAST and term == "summer":
        return academic_year + 1
    return academic_year


def pack_parameters(academic_year: int, term: str, base: dict) -> dict:
    """The pack's parameters: its term, and each report's own as it would be asked for
    on its own for the county, so that the pack says what they say."""
    parts = {}
    for kind in PACK_KINDS:
        year = pack_year(kind, academic_year, term)
        part = default_parameters(year, base.get("national_ehcp_pct"))
        if kind == ReportKind.IMPACT:
            part["unit_costs"] = dict(settings.IMPACT_UNIT_COSTS)
        parts[kind] = {"academic_year": year, "parameters": part}
    return {**base, "term": term, "parts": parts}


def term_dates(academic_year: int, term: str) -> tuple[date, date]:
    """The term's first day and the next term's, from the LA's term dates (else the
    usual ones)."""
    from budgets.terms import TermCalendar

    starts = TermCalendar.load().term_starts(academic_year, academic_year + 2)
    names = [f"Autumn {academic_year}", f"Spring {academic_year + 1}",
             f"Summer {academic_year + 1}", f"Autumn {academic_year + 1}"]  # fmt: skip
    by_name = {name: day for day, name in starts}
    i = TERMS.index(term)
    return by_name[names[i]], by_name[names[i + 1]]


def _compute_pack(run: ReportRun) -> tuple[dict, datetime]:
    """Every report's headline figures for the county, read in one snapshot by the same
    code as the report on its own; a report that cannot be produced says why."""
    p = run.parameters or {}
    term = p.get("term")
    if term not in TERMS or not p.get("parts"):
        raise ReportError("The pack's term is not valid: ask for it again.")
    parts = []
    with _snapshot() as as_of:
        for kind in PACK_KINDS:
            spec = p["parts"][kind]
            part = ReportRun(
                kind=kind,
                scope_kind=ScopeKind.COUNTY,
                academic_year=spec["academic_year"],
                parameters=spec["parameters"],
            )
            try:
                result, _ = compute(part)
            except ReportError as exc:
                parts.append((part, None, str(exc)))
            else:
                parts.append((part, result, None))
    first, following = term_dates(run.academic_year, term)
    result = figures.kpi_pack(
        [(part.kind, str(part), part.get_kind_display(), r, error) for part, r, error in parts],
        term=term,
        year=run.academic_year,
        first=first,
        following=following,
        as_of=timezone.localdate(as_of),
    )
    return result, as_of


def _progress(run_id: int, pct: int, message: str) -> None:
    ReportRun.objects.filter(pk=run_id).update(
        progress=pct, progress_message=message, progress_at=timezone.now()
    )


def produce(run_id: int, generation: int | None = None) -> ReportRun | None:
    """Produce a run's report and attach its files, all or nothing. Safe to call again:
    a run that is ready or has failed is left alone; a run left half-way by a killed
    worker starts over, and nothing it wrote is ever attached. ``generation`` (from the
    message) older than the run's requeues means a newer message was sent: skip."""
    run = ReportRun.objects.select_related("cluster", "district", "requested_by").filter(pk=run_id)
    run = run.first()
    if run is None:
        log.warning("report run %s no longer exists", run_id)
        return None
    if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        return run
    if generation is not None and generation < run.requeues:
        log.info("report run %s: message %s superseded by a requeue", run_id, generation)
        return run
    now = timezone.now()
    ReportRun.objects.filter(pk=run_id).update(
        status=RunStatus.RUNNING,
        attempts=F("attempts") + 1,  # in the database: two deliveries never share a number
        started_at=now,
        finished_at=None,
        error_message="",
        progress=5,
        progress_message="Reading the schools' figures",
        progress_at=now,
    )
    attempt = ReportRun.objects.values_list("attempts", flat=True).get(pk=run_id)
    with heartbeat(run_id):
        return _produce_attempt(run, attempt)


def _produce_attempt(run: ReportRun, attempt: int) -> ReportRun:
    run_id = run.pk
    result, as_of = compute(run)
    run.data_as_of = as_of
    run.attempts = attempt

    storage = private_storage()
    base = f"reports/{run.pk}/attempt-{attempt}"
    slug = f"{run.kind.replace('_', '-')}-{run.scope_kind}-{run.academic_year}"
    saved: dict[str, str] = {}

    def save(fmt: str, content: bytes) -> None:
        saved[fmt] = storage.save(f"{base}/{slug}.{fmt}", ContentFile(content))

    _progress(run_id, 40, "Writing the HTML report and the CSV file")
    save("html", rendering.render_html_file(run, result))
    save("csv", rendering.render_csv(result))
    _progress(run_id, 60, "Writing the spreadsheet")
    save("xlsx", rendering.render_xlsx(run, result))
    _progress(run_id, 75, "Writing the PDF")
    save("pdf", rendering.render_pdf(run, result))

    with transaction.atomic():
        locked = ReportRun.objects.select_for_update().get(pk=run_id)
        if locked.status == RunStatus.SUCCEEDED:  # another delivery finished first
            transaction.on_commit(lambda: _delete(saved.values()))
            return locked
        for fmt, name in saved.items():
            setattr(locked, f"{fmt}_file", name)
        locked.result = result
        locked.data_as_of = as_of
        locked.status = RunStatus.SUCCEEDED
        locked.progress = 100
        locked.progress_message = "Ready"
        locked.progress_at = timezone.now()
        locked.error_message = ""
        locked.finished_at = timezone.now()
        locked.save()
        announce("report_ready", run=locked)
    transaction.on_commit(lambda: _delete_other_attempts(run.pk, attempt))
    return locked


def _delete(names) -> None:
    storage = private_storage()
    for name in names:
        storage.delete(name)


def _delete_other_attempts(run_id: int, keep: int) -> None:
    """Remove what killed or failed attempts left behind (never attached to the run)."""
    storage = private_storage()
    folder = f"reports/{run_id}"
    try:
        dirs, _ = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for d in dirs:
        if d != f"attempt-{keep}":
            _, files = storage.listdir(f"{folder}/{d}")
            _delete(f"{folder}/{d}/{f}" for f in files)


def fail(run_id: int, message: str) -> None:
    ReportRun.objects.filter(pk=run_id).exclude(status=RunStatus.SUCCEEDED).update(
        status=RunStatus.FAILED,
        error_message=message,
        progress_message="Failed",
        finished_at=timezone.now(),
    )
    run = ReportRun.objects.select_related("requested_by").filter(pk=run_id).first()
    if run and run.status == RunStatus.FAILED:
        _delete_other_attempts(run_id, keep=0)  # a failed run keeps no files
    if run and run.status == RunStatus.FAILED and run.requested_by_id:
        announce("report_failed", run=run, message=message)


def fail_after_retries(run_id: int) -> None:
    run = ReportRun.objects.filter(pk=run_id).first()
    if run:
        fail(run_id, GENERIC_FAILURE.format(attempts=run.attempts, pk=run.pk))


def will_retry(run_id: int, countdown: int) -> None:
    ReportRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.QUEUED,
        progress=0,
        progress_message=f"A problem stopped the report; trying again in {countdown} seconds",
        progress_at=timezone.now(),
    )


# ---------------------------------------------------------------- lost runs

# A run is sent again at most this many times, and given up after this many attempts
# (the task's first try and its two retries).
MAX_REQUEUES = 3
MAX_ATTEMPTS = 3
REQUEUED_MESSAGE = "The report worker stopped before finishing; the report is queued again"


def stale_after() -> timedelta:
    """A running run silent this long has lost its worker (its heartbeat has stopped)."""
    return timedelta(seconds=settings.REPORTS_STALE_AFTER_SECONDS)


@contextmanager
def heartbeat(run_id: int) -> Iterator[None]:
    """While a worker produces a run, a thread marks the run alive every
    ``REPORTS_HEARTBEAT_SECONDS`` (``progress_at``), however long one step takes; a run
    whose worker died falls silent and ``requeue_stale_runs`` sends it again within
    ``REPORTS_STALE_AFTER_SECONDS`` plus one beat (two minutes with the defaults)."""
    stop = threading.Event()
    every = settings.REPORTS_HEARTBEAT_SECONDS

    def beat() -> None:
        try:
            while not stop.wait(every):
                ReportRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
                    progress_at=timezone.now()
                )
        except Exception:  # a lost beat only makes the run look idle sooner
            log.exception("report run %s: heartbeat stopped", run_id)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"report-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)


def requeue_stale_runs(now: datetime | None = None) -> dict[str, list[int]]:
    """Send again the runs the broker or a worker lost: running with no progress for
    ``stale_after()`` (the worker died: a machine lost, or Redis' visibility timeout
    not reached yet), or queued that long while the worker has done nothing (the
    message is gone). Queued runs waiting behind a busy worker are left alone. A run
    sent MAX_REQUEUES times, or tried MAX_ATTEMPTS times, fails with the generic
    message instead. Safe to run at any time and twice at once: each run is claimed by
    a conditional update on its last sign of life."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    unfinished = ReportRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
    worker_busy = ReportRun.objects.filter(
        Q(status=RunStatus.RUNNING, progress_at__gte=cutoff) | Q(finished_at__gte=cutoff)
    ).exists()
    stale = Q(status=RunStatus.RUNNING)
    if not worker_busy:
        stale |= Q(status=RunStatus.QUEUED)
    candidates = list(
        unfinished.filter(stale, progress_at__lt=cutoff)
        .order_by("progress_at")
        .values("pk", "requeues", "attempts", "progress_at")[:500]
    )
    requeued, failed = [], []
    for c in candidates:
        claim = ReportRun.objects.filter(
            pk=c["pk"],
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
            progress_at=c["progress_at"],
        )
        if c["requeues"] >= MAX_REQUEUES or c["attempts"] >= MAX_ATTEMPTS:
            if claim.update(progress_at=now):
                fail_after_retries(c["pk"])
                failed.append(c["pk"])
            continue
        generation = c["requeues"] + 1
        with transaction.atomic():
            if claim.update(
                status=RunStatus.QUEUED,
                requeues=generation,
                progress=0,
                progress_message=REQUEUED_MESSAGE,
                progress_at=now,
            ):
                transaction.on_commit(lambda pk=c["pk"], g=generation: enqueue(pk, generation=g))
                requeued.append(c["pk"])
    if requeued or failed:
        log.warning("report runs requeued %s, failed %s", requeued, failed)
    return {"requeued": requeued, "failed": failed}


# ---------------------------------------------------------------- the termly schedule


def term_of(day: date) -> tuple[int, str]:
    """(academic year, term) for a day: autumn Sep–Dec, spring Jan–Mar, summer Apr–Aug."""
    if day.month >= 9:
        return day.year, "autumn"
    return day.year - 1, ("spring" if day.month <= 3 else "summer")


def _latest_national_figure(year: int) -> str | None:
    for params in (
        ReportRun.objects.filter(academic_year=year, requested_by__isnull=False)
        .order_by("-created_at")
        .values_list("parameters", flat=True)[:50]
    ):
        if params and params.get("national_ehcp_pct") not in (None, ""):
            return params["national_ehcp_pct"]
    return None


# The impact report is asked for when the LA's escalation extract is in (not termly).
TERMLY_KINDS = (ReportKind.INCLUSIVENESS, ReportKind.FAIR_SHARE)


def schedule_termly_reports(today: date | None = None) -> list[ReportRun]:
    """Both reports for the county and for every cluster, and the county's KPI pack, once
    per term (idempotent)."""
    today = today or timezone.localdate()
    year, term = term_of(today)
    national = _latest_national_figure(year)
    scopes = [(ScopeKind.COUNTY, None)] + [
        (ScopeKind.CLUSTER, pk) for pk in Cluster.objects.values_list("pk", flat=True)
    ]
    existing = set(
        ReportRun.objects.filter(schedule_key__startswith=f"{year}-{term}:").values_list(
            "schedule_key", flat=True
        )
    )
    created = []
    for kind in TERMLY_KINDS:
        for scope_kind, scope_id in scopes:
            key = f"{year}-{term}:{kind}:{scope_kind}:{scope_id or 0}"
            if key in existing:
                continue
            created.append(
                request_report(
                    user=None,
                    kind=kind,
                    scope_kind=scope_kind,
                    scope_id=scope_id,
                    academic_year=year,
                    national_ehcp_pct=national,
                    schedule_key=key,
                )
            )
    # The county's Schools Forum KPI pack for the term, with the headline figures as they
    # stand on its first day.
    key = f"{year}-{term}:{ReportKind.KPI_PACK}:{ScopeKind.COUNTY}:0"
    if key not in existing:
        created.append(
            request_report(
                user=None,
                kind=ReportKind.KPI_PACK,
                scope_kind=ScopeKind.COUNTY,
                scope_id=None,
                academic_year=year,
                national_ehcp_pct=national,
                schedule_key=key,
                term=term,
            )
        )
    return created
