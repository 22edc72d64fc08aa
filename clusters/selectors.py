"""Every read of districts, clusters, schools and their statistics, scoped by user.

Who sees what (docs/architecture.md §2), decided here once for the pages and the API:

* LA officers (SEND and finance) and administrators see every district, cluster
  and school, with every year's statistics.
* School staff (SENCO, headteacher) and panel members see **their own
  cluster(s) in full**: every school of the cluster with its statistics. Schools
  of a cluster share a panel and a budget, and judge fairness by comparing
  themselves openly.
* Anyone with a role sees the **directory of districts and cluster names**
  (public information in every LA that runs clusters), but not other clusters'
  schools or figures: another cluster's page, its schools' pages and their API
  answers are 404, as if they did not exist.
* A school's people (its memberships) are shown only to the LA and to that
  school's own staff.
* A signed-in user with no role sees nothing.

Statistics are aggregate counts, never pupil data, so reading them is not audited.
Lists load their statistics for one academic year with a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from portal.roles import Scope, scope_for

from . import policy
from .models import Cluster, District, Membership, School, SchoolYearStats

User = AbstractBaseUser | AnonymousUser


def _has_any_role(scope: Scope) -> bool:
    return scope.is_admin or bool(scope.roles)


def visible_districts(user: User) -> QuerySet[District]:
    scope = scope_for(user)
    return District.objects.all() if _has_any_role(scope) else District.objects.none()


def visible_clusters(user: User) -> QuerySet[Cluster]:
    """Clusters the user may open in full (their schools and figures)."""
    scope = scope_for(user)
    if scope.is_la:
        return Cluster.objects.all()
    return Cluster.objects.filter(pk__in=scope.cluster_ids)


def visible_schools(user: User) -> QuerySet[School]:
    scope = scope_for(user)
    if scope.is_la:
        return School.objects.all()
    return School.objects.filter(cluster_id__in=scope.cluster_ids)


def visible_stats(user: User) -> QuerySet[SchoolYearStats]:
    return SchoolYearStats.objects.filter(school__in=visible_schools(user))


# --- figures --------------------------------------------------------------------------


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass
class Figures:
    """A school's or a group's counts for one year, with the percentages people compare."""

    schools: int = 0
    number_on_roll: int = 0
    fsm_pupils: int = 0
    ehcp_pupils: int = 0
    sen_support_pupils: int = 0
    suspensions: int = 0
    permanent_exclusions: int = 0
    sen_joiners_no_move: int = 0
    notional_sen_budget: Decimal = Decimal("0.00")

    COUNTS = (
        "number_on_roll",
        "fsm_pupils",
        "ehcp_pupils",
        "sen_support_pupils",
        "suspensions",
        "permanent_exclusions",
        "sen_joiners_no_move",
        "notional_sen_budget",
    )

    @classmethod
    def total(cls, stats: list[SchoolYearStats]) -> Figures:
        figures = cls(schools=len(stats))
        for row in stats:
            for name in cls.COUNTS:
                setattr(figures, name, getattr(figures, name) + getattr(row, name))
        return figures

    @property
    def fsm_percent(self) -> Decimal | None:
        return _pct(self.fsm_pupils, self.number_on_roll)

    @property
    def ehcp_percent(self) -> Decimal | None:
        return _pct(self.ehcp_pupils, self.number_on_roll)

    @property
    def sen_support_percent(self) -> Decimal | None:
        return _pct(self.sen_support_pupils, self.number_on_roll)

    @property
    def suspensions_per_100(self) -> Decimal | None:
        return _pct(self.suspensions, self.number_on_roll)


def stats_years() -> list[int]:
    """Academic years with any statistics, newest first."""
    return list(
        SchoolYearStats.objects.order_by("-academic_year")
        .values_list("academic_year", flat=True)
        .distinct()
    )


def choose_year(requested: str | int | None, years: list[int]) -> int | None:
    """The requested year if there are figures for it, else the newest."""
    try:
        year = int(requested) if requested not in (None, "") else None
    except (TypeError, ValueError):
        year = None
    if year in years:
        return year
    return years[0] if years else None


def _schools_with_year(schools: QuerySet[School], year: int | None) -> list[School]:
    """Schools with ``.stats`` set to their figures for ``year`` (or None): two queries."""
    rows = list(
        schools.prefetch_related(
            Prefetch(
                "year_stats",
                queryset=SchoolYearStats.objects.filter(academic_year=year or 0),
                to_attr="_year_stats",
            )
        )
    )
    for school in rows:
        school.stats = school._year_stats[0] if school._year_stats else None
    return rows


@dataclass
class ClusterEntry:
    cluster: Cluster
    visible: bool
    schools: list[School] = field(default_factory=list)
    totals: Figures = field(default_factory=Figures)

    @property
    def open_schools(self) -> int:
        return sum(1 for s in self.schools if s.is_open)


@dataclass
class DistrictEntry:
    district: District
    clusters: list[ClusterEntry]

    @property
    def any_visible(self) -> bool:
        return any(c.visible for c in self.clusters)


def _entry(cluster: Cluster, schools: list[School], visible: bool) -> ClusterEntry:
    return ClusterEntry(
        cluster=cluster,
        visible=visible,
        schools=schools,
        totals=Figures.total([s.stats for s in schools if s.stats is not None]),
    )


def directory(user: User, year: int | None) -> list[DistrictEntry]:
    """Every district and cluster name; the schools and figures of the clusters the user sees."""
    districts = list(
        visible_districts(user).prefetch_related(
            Prefetch("clusters", queryset=Cluster.objects.order_by("name"))
        )
    )
    visible_ids = set(visible_clusters(user).values_list("pk", flat=True))
    by_cluster: dict[int, list[School]] = {}
    schools = visible_schools(user).filter(cluster__isnull=False).order_by("name")
    for school in _schools_with_year(schools, year):
        by_cluster.setdefault(school.cluster_id, []).append(school)
    return [
        DistrictEntry(
            district=d,
            clusters=[
                _entry(c, by_cluster.get(c.pk, []), c.pk in visible_ids) for c in d.clusters.all()
            ],
        )
        for d in districts
    ]


def cluster_detail(user: User, pk: int, year: int | None) -> ClusterEntry:
    cluster = get_object_or_404(visible_clusters(user).select_related("district"), pk=pk)
    schools = _schools_with_year(cluster.schools.order_by("-is_open", "name"), year)
    return _entry(cluster, schools, True)


@dataclass
class SchoolPage:
    school: School
    stats: list[SchoolYearStats]  # newest first
    people: list[Membership] | None  # None when the user may not see them


def school_detail(user: User, urn: int) -> SchoolPage:
    school = get_object_or_404(visible_schools(user).select_related("cluster__district"), urn=urn)
    people = None
    if policy.can_see_people(user, school):
        people = list(
            Membership.objects.current()
            .filter(school=school)
            .select_related("user")
            .order_by("role")
        )
    return SchoolPage(
        school=school,
        stats=list(school.year_stats.order_by("-academic_year")),
        people=people,
    )


def latest_stats_prefetch(to_attr: str = "latest_stats_list") -> Prefetch:
    """Each school's newest statistics row, in one query for any number of schools."""
    newest = (
        SchoolYearStats.objects.filter(school=OuterRef("school"))
        .order_by("-academic_year")
        .values("academic_year")[:1]
    )
    return Prefetch(
        "year_stats",
        queryset=SchoolYearStats.objects.filter(academic_year=Subquery(newest)),
        to_attr=to_attr,
    )


def my_clusters(user: User, year: int | None) -> list[ClusterEntry]:
    """The clusters a school staff member or panel member belongs to, with totals."""
    scope = scope_for(user)
    if not scope.cluster_ids:
        return []
    clusters = list(Cluster.objects.filter(pk__in=scope.cluster_ids).select_related("district"))
    by_cluster: dict[int, list[School]] = {}
    schools = School.objects.filter(cluster_id__in=scope.cluster_ids).order_by("name")
    for school in _schools_with_year(schools, year):
        by_cluster.setdefault(school.cluster_id, []).append(school)
    return [_entry(c, by_cluster.get(c.pk, []), True) for c in clusters]


@dataclass
class CountySummary:
    districts: int
    clusters: int
    open_schools: int
    unmapped_count: int
    unmapped: list[School]  # the first few, to act on


def county_summary() -> CountySummary:
    """For LA officers: the size of the county and the open schools in no cluster."""
    unmapped = School.objects.filter(is_open=True, cluster__isnull=True)
    return CountySummary(
        districts=District.objects.count(),
        clusters=Cluster.objects.count(),
        open_schools=School.objects.filter(is_open=True).count(),
        unmapped_count=unmapped.count(),
        unmapped=list(unmapped.order_by("name")[:20]),
    )


# ---------------------------------------------------------------- imports by upload


def school_imports(user, kind: str | None = None) -> QuerySet:
    """The LA SEND officer's imports by upload, newest first (nobody else has any)."""
    from .models import SchoolImport
    from .policy import can_import_schools

    if not can_import_schools(user):
        return SchoolImport.objects.none()
    imports = SchoolImport.objects.select_related("uploaded_by", "applied_by").defer(
        "preview", "scope"
    )
    return imports.filter(kind=kind) if kind else imports


def get_school_import(user, pk: int):
    from .models import SchoolImport
    from .policy import can_import_schools

    if not can_import_schools(user):
        raise Http404
    return get_object_or_404(
        SchoolImport.objects.select_related("uploaded_by", "applied_by"), pk=pk
    )


# ---------------------------------------------------------------- the cluster map


def cluster_for_editing(pk: int) -> Cluster:
    """A cluster as the LA SEND officer edits it (the view has checked the policy)."""
    return get_object_or_404(Cluster.objects.select_related("district"), pk=pk)


def cluster_schools(cluster: Cluster) -> list[School]:
    return list(
        cluster.schools.order_by("-is_open", "name").only("urn", "name", "is_open", "cluster_id")
    )


def school_for_moving(urn: int) -> School:
    return get_object_or_404(School.objects.select_related("cluster__district"), urn=urn)
