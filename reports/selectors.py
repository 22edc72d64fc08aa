"""Every read of report runs, scoped by the user: LA officers see every run; a
headteacher sees the runs for their own school's cluster; anything else is 404."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from clusters.models import Cluster, District, Membership, Role, School
from portal.roles import scope_for

from .models import ReportKind, ReportRun, RunStatus, ScopeKind


def headteacher_cluster_ids(user: AbstractBaseUser) -> set[int]:
    cached = getattr(user, "_report_head_clusters", None)
    if cached is None:
        cached = set(
            Membership.objects.current()
            .filter(user_id=user.pk, role=Role.HEADTEACHER, school__cluster__isnull=False)
            .values_list("school__cluster_id", flat=True)
        )
        user._report_head_clusters = cached
    return cached


def visible_runs(user: AbstractBaseUser) -> QuerySet[ReportRun]:
    # The stored figures (``result``) can be megabytes: loaded only when a page shows them.
    runs = ReportRun.objects.select_related("cluster", "district", "requested_by").defer("result")
    scope = scope_for(user)
    if scope.is_la:
        return runs
    clusters = headteacher_cluster_ids(user) if scope.is_headteacher else set()
    return runs.filter(scope_kind=ScopeKind.CLUSTER, cluster_id__in=clusters)


def get_run(user: AbstractBaseUser, pk: int) -> ReportRun:
    return get_object_or_404(visible_runs(user), pk=pk)


def requestable_clusters(user: AbstractBaseUser) -> QuerySet[Cluster]:
    clusters = Cluster.objects.select_related("district")
    if scope_for(user).is_la:
        return clusters
    return clusters.filter(pk__in=headteacher_cluster_ids(user))


def requestable_districts(user: AbstractBaseUser) -> QuerySet[District]:
    return District.objects.all() if scope_for(user).is_la else District.objects.none()


def latest_runs(user: AbstractBaseUser, limit: int = 5) -> list[ReportRun]:
    return list(visible_runs(user)[:limit])


# --- A school's figures from the latest reports (the panel's peer challenge) -----

# The inclusiveness report's flags, in the report's own words.
FLAGS = (("high_send", "High-SEND"), ("magnet", "Magnet"), ("below_fair_share", "Below fair share"))


@dataclass
class ReportSource:
    """The latest ready run of one kind covering a school, and the school's row in it."""

    run_id: int
    label: str  # e.g. "Fair share report, North cluster, 2025/26"
    finished_at: object
    row: dict | None  # None: the run has no row for the school


@dataclass
class SchoolReportFigures:
    fair_share: ReportSource | None = None  # None: no ready fair-share report covers it
    inclusiveness: ReportSource | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def fair_share_ratio(self) -> float | None:
        row = self.fair_share.row if self.fair_share else None
        return row.get("fair_share_ratio") if row else None


def _covers(run: ReportRun, school: School) -> bool:
    if run.scope_kind == ScopeKind.CLUSTER:
        return run.cluster_id == school.cluster_id
    if run.scope_kind == ScopeKind.DISTRICT:
        return school.cluster is not None and run.district_id == school.cluster.district_id
    return True


def latest_school_figures(schools: Iterable[School]) -> dict[int, SchoolReportFigures]:
    """For each school (with its cluster loaded), its row in the latest ready fair-share and
    inclusiveness runs that cover it (its cluster's, its district's or the county's): two
    queries whatever the number of schools. The caller decides who sees them (the panel
    reads them on its agenda)."""
    schools = list(schools)
    out = {s.pk: SchoolReportFigures() for s in schools}
    if not schools:
        return out
    clusters = {s.cluster_id for s in schools if s.cluster_id}
    districts = {s.cluster.district_id for s in schools if s.cluster_id}
    runs = list(
        ReportRun.objects.filter(status=RunStatus.SUCCEEDED)
        .filter(
            Q(scope_kind=ScopeKind.COUNTY)
            | Q(scope_kind=ScopeKind.DISTRICT, district_id__in=districts)
            | Q(scope_kind=ScopeKind.CLUSTER, cluster_id__in=clusters)
        )
        .select_related("cluster", "district")
        .only(
            "kind",
            "scope_kind",
            "academic_year",
            "finished_at",
            "cluster__name",
            "district__name",
        )  # fmt: skip
        .order_by("-finished_at", "-pk")
    )
    chosen: dict[tuple[int, str], ReportRun] = {}
    for school in schools:
        for kind in (ReportKind.FAIR_SHARE, ReportKind.INCLUSIVENESS):
            run = next((r for r in runs if r.kind == kind and _covers(r, school)), None)
            if run is not None:
                chosen[(school.pk, kind)] = run
    # The stored figures can be large: read only the runs chosen, once each.
    results = dict(
        ReportRun.objects.filter(pk__in={r.pk for r in chosen.values()}).values_list("pk", "result")
    )
    for (school_id, kind), run in chosen.items():
        school = next(s for s in schools if s.pk == school_id)
        section = next(
            (x for x in (results.get(run.pk) or {}).get("sections", []) if x["key"] == "schools"),
            None,
        )
        row = next((r for r in (section or {}).get("rows", []) if r.get("urn") == school.urn), None)
        source = ReportSource(run.pk, str(run), run.finished_at, row)
        figures = out[school_id]
        if kind == ReportKind.FAIR_SHARE:
            figures.fair_share = source
        else:
            figures.inclusiveness = source
            figures.flags = [label for key, label in FLAGS if row and row.get(key)]
    return out


# ---------------------------------------------------------------- escalation data
# Only LA officers reach these (the views and API check reports.policy first).


def escalation_imports() -> QuerySet:
    from .models import EscalationImport

    return EscalationImport.objects.select_related("uploaded_by").defer("staged")


def get_escalation_import(pk: int):
    return get_object_or_404(escalation_imports(), pk=pk)


def escalation_counts() -> list[tuple[str, int]]:
    """How many records of each kind the last extract gave (pupils are never listed)."""
    from django.db.models import Count

    from .models import EscalationKind, EscalationRecord

    counts = dict(EscalationRecord.objects.values_list("kind").annotate(n=Count("id")).order_by())
    return [(k.label, counts.get(k.value, 0)) for k in EscalationKind]
