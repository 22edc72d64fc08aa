"""Every write to clusters, schools and their statistics.

The imports are all-or-nothing: the parsed files (see :mod:`clusters.importers`)
are checked against the database first, and rows are written in bulk inside one
transaction only when nothing is wrong. Re-running an import updates rows in
place by URN (and by school and year for statistics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from portal.errors import ConflictError, DomainError

from . import policy
from .importers import (
    SEN_LAYOUT,
    FileRejected,
    GiasFile,
    MappingFile,
    RowError,
    StatsFile,
)
from .models import Cluster, District, School, SchoolYearStats

STATS_COUNT_FIELDS = ("fsm_pupils", "ehcp_pupils", "sen_support_pupils")


@dataclass
class GiasImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0  # schools of the LA in the file whose status is Closed
    skipped_other_la: int = 0
    districts_created: int = 0
    clusters_created: int = 0
    stats_created: int = 0
    stats_updated: int = 0
    # Open schools of the LA that belong to no cluster after the import.
    unmapped: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class StatsImportReport:
    layout: str = ""
    created: int = 0
    updated: int = 0
    skipped_unknown_schools: int = 0
    skipped_other_levels: int = 0


def _unreadable(parsed) -> bool:
    """The file could not be read row by row (encoding, header): its rows say nothing."""
    return parsed is not None and any(e.line in (None, 1) for e in parsed.errors)


def _unique_code(base: str, taken: set[str], length: int) -> str:
    base = (slugify(base).upper() or "X")[:length]
    code, n = base, 2
    while code in taken:
        suffix = f"-{n}"
        code, n = base[: length - len(suffix)] + suffix, n + 1
    taken.add(code)
    return code


@transaction.atomic
def import_gias(
    gias: GiasFile, mapping: MappingFile | None = None, *, year: int | None = None
) -> GiasImportReport:
    """Create or update the LA's schools from a parsed GIAS file, and their clusters.

    ``mapping`` (URN → district, cluster) creates districts and clusters as needed
    and moves schools into them; schools it does not mention keep their cluster.
    With ``year``, GIAS's roll, FSM and SEN counts update that year's statistics.
    """
    report = GiasImportReport(skipped_other_la=gias.skipped_other_la)
    urns = [r.urn for r in gias.records]
    existing = {s.urn: s for s in School.objects.filter(urn__in=urns)}

    # The files' own problems and those found against the portal, told together, unless
    # a file could not be read at all (then its rows would only add noise).
    errors: list[RowError] = [*gias.errors, *(mapping.errors if mapping else [])]
    if _unreadable(gias) or _unreadable(mapping):
        raise FileRejected(errors)
    if mapping is not None:
        known = gias.la_urns | set(
            School.objects.filter(urn__in=[m.urn for m in mapping.rows]).values_list(
                "urn", flat=True
            )
        )
        errors += [
            RowError(
                m.line,
                "URN",
                f"URN {m.urn} is not a school of LA {gias.la_code} in the GIAS file or the portal.",
                "cluster mapping",
            )
            for m in mapping.rows
            if m.urn not in known
        ]
    if year is not None:
        errors += [e for r in gias.records for e in _count_errors(r.stats, r.line, r.stats_columns)]
    if errors:
        raise FileRejected(errors)

    cluster_for_urn = _clusters_from_mapping(mapping, report, errors) if mapping else {}
    if errors:
        raise FileRejected(errors)

    to_create, to_update = [], []
    changed_fields: set[str] = set()
    for record in gias.records:
        values = dict(record.fields)
        if record.urn in cluster_for_urn:
            values["cluster"] = cluster_for_urn[record.urn]
        if not values["is_open"]:
            report.closed += 1
        school = existing.get(record.urn)
        if school is None:
            to_create.append(School(urn=record.urn, **values))
            continue
        diff = {k for k, v in values.items() if getattr(school, k) != v}
        if diff:
            for key in diff:
                setattr(school, key, values[key])
            changed_fields |= diff
            to_update.append(school)
        else:
            report.unchanged += 1
    School.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        School.objects.bulk_update(to_update, sorted(changed_fields), batch_size=500)
    report.created, report.updated = len(to_create), len(to_update)

    # Schools only in the mapping (already in the portal, not in this GIAS file) move too.
    in_file = set(urns)
    extra = {u: c for u, c in cluster_for_urn.items() if u not in in_file}
    if extra:
        movers = list(School.objects.filter(urn__in=extra))
        for school in movers:
            school.cluster = extra[school.urn]
        School.objects.bulk_update(movers, ["cluster"])

    if year is not None:
        _gias_stats(gias, year, report)

    report.unmapped = list(
        School.objects.filter(la_code=gias.la_code, is_open=True, cluster__isnull=True)
        .order_by("name")
        .values_list("urn", "name")
    )
    return report


def _clusters_from_mapping(
    mapping: MappingFile, report: GiasImportReport, errors: list[RowError]
) -> dict[int, Cluster]:
    """Find or create each district and cluster the mapping names; URN → cluster."""
    districts = {d.name: d for d in District.objects.all()}
    district_codes = {d.code for d in districts.values()}
    clusters = list(Cluster.objects.select_related("district"))
    by_code = {c.code: c for c in clusters}
    by_name = {(c.district.name, c.name): c for c in clusters}
    taken_codes = set(by_code)

    result: dict[int, Cluster] = {}
    for row in mapping.rows:
        district = districts.get(row.district)
        if district is None:
            code = row.district_code
            if code and code in district_codes:
                errors.append(
                    RowError(
                        row.line,
                        "District code",
                        f"District code '{code}' belongs to another district.",
                        "cluster mapping",
                    )
                )
                continue
            code = code or _unique_code(row.district, district_codes, 20)
            district_codes.add(code)
            district = District.objects.create(code=code, name=row.district)
            districts[row.district] = district
            report.districts_created += 1
        key = (row.district, row.cluster)
        cluster = by_code.get(row.cluster_code) if row.cluster_code else by_name.get(key)
        if cluster is not None and (cluster.district_id, cluster.name) != (
            district.pk,
            row.cluster,
        ):
            # A cluster code that now carries another name or district: renamed in place,
            # unless that name is taken by another cluster in the district.
            other = by_name.get(key)
            if other is not None and other.pk != cluster.pk:
                errors.append(
                    RowError(
                        row.line,
                        "Cluster code",
                        f"Cluster '{row.cluster}' in {row.district} already has code "
                        f"'{other.code}', not '{row.cluster_code}'.",
                        "cluster mapping",
                    )
                )
                continue
            by_name.pop((cluster.district.name, cluster.name), None)
            cluster.district, cluster.name = district, row.cluster
            cluster.save(update_fields=["district", "name"])
            by_name[key] = cluster
        if cluster is None:
            code = row.cluster_code or _unique_code(
                f"{district.code} {row.cluster}", taken_codes, 30
            )
            taken_codes.add(code)
            cluster = Cluster.objects.create(district=district, code=code, name=row.cluster)
            by_code[code] = by_name[key] = cluster
            report.clusters_created += 1
        result[row.urn] = cluster
    return result


def _count_errors(values: dict, line: int, columns: dict, source: str = "GIAS file"):
    roll = values.get("number_on_roll")
    if roll is None:
        return []
    return [
        RowError(
            line,
            columns.get(name),
            f"{values[name]} pupils is more than the {roll} on roll.",
            source,
        )
        for name in STATS_COUNT_FIELDS
        if values.get(name) is not None and values[name] > roll
    ]


def _gias_stats(gias: GiasFile, year: int, report: GiasImportReport) -> None:
    ids = dict(
        School.objects.filter(urn__in=[r.urn for r in gias.records]).values_list("urn", "pk")
    )
    existing = {
        s.school_id: s
        for s in SchoolYearStats.objects.filter(school_id__in=ids.values(), academic_year=year)
    }
    to_create, to_update = [], []
    for record in gias.records:
        values = dict(record.stats)
        if "number_on_roll" not in values:
            continue  # GIAS has no census figures for this school (e.g. not yet open)
        if "fsm_percent" not in values and "fsm_pupils" in values:
            values["fsm_percent"] = _percent(values["fsm_pupils"], values["number_on_roll"])
        stats = existing.get(ids[record.urn])
        if stats is None:
            to_create.append(
                SchoolYearStats(school_id=ids[record.urn], academic_year=year, **values)
            )
        else:
            for key, value in values.items():
                setattr(stats, key, value)
            to_update.append(stats)
    SchoolYearStats.objects.bulk_create(to_create, batch_size=500)
    SchoolYearStats.objects.bulk_update(
        to_update,
        ["number_on_roll", "fsm_pupils", "fsm_percent", "ehcp_pupils", "sen_support_pupils"],
        batch_size=500,
    )
    report.stats_created, report.stats_updated = len(to_create), len(to_update)


def _percent(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


@transaction.atomic
def import_school_stats(stats: StatsFile) -> StatsImportReport:
    """Create or update SchoolYearStats rows from a parsed statistics file.

    Only the figures the file gives are changed; the others keep their value. The
    DfE's file covers all of England, so its schools unknown here are skipped; the
    LA template must name only schools the portal knows.
    """
    if _unreadable(stats):
        raise FileRejected(stats.errors)
    report = StatsImportReport(layout=stats.layout, skipped_other_levels=stats.skipped_other_levels)
    schools = dict(
        School.objects.filter(urn__in={r.urn for r in stats.rows}).values_list("urn", "pk")
    )
    existing = {
        (s.school_id, s.academic_year): s
        for s in SchoolYearStats.objects.filter(
            school_id__in=schools.values(), academic_year__in={r.academic_year for r in stats.rows}
        )
    }
    # The file's own problems and those found against the portal, in one list: the
    # officer fixes the file once, not once per kind of problem.
    errors: list[RowError] = list(stats.errors)
    to_create, to_update = [], []
    for row in stats.rows:
        school_id = schools.get(row.urn)
        if school_id is None:
            if stats.layout == SEN_LAYOUT:
                report.skipped_unknown_schools += 1
            else:
                errors.append(
                    RowError(
                        row.line,
                        row.columns["urn"],
                        f"No school with URN {row.urn} in the portal: import GIAS first.",
                        "statistics file",
                    )
                )
            continue
        current = existing.get((school_id, row.academic_year))
        target = current or SchoolYearStats(school_id=school_id, academic_year=row.academic_year)
        for key, value in row.values.items():
            setattr(target, key, value)
        if "fsm_pupils" in row.values or "number_on_roll" in row.values:
            target.fsm_percent = _percent(target.fsm_pupils, target.number_on_roll)
        merged = {f: getattr(target, f) for f in ("number_on_roll", *STATS_COUNT_FIELDS)}
        # Point at the column the file gave: the count, or the roll if only the roll came.
        columns = {
            f: row.columns.get(f) or row.columns.get("number_on_roll") for f in STATS_COUNT_FIELDS
        }
        found = _count_errors(merged, row.line, columns, "statistics file")
        if found:
            errors += found
            continue
        (to_update if current else to_create).append(target)
    if errors:
        raise FileRejected(sorted(errors, key=lambda e: e.line or 0))
    SchoolYearStats.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        fields = sorted(
            {k for r in stats.rows for k in r.values} | {"fsm_percent"},
        )
        SchoolYearStats.objects.bulk_update(to_update, fields, batch_size=500)
    report.created, report.updated = len(to_create), len(to_update)
    return report


# --- the cluster map, edited in the portal (the LA SEND officer) -------------------------

_UNCHECKED = object()


@transaction.atomic
def move_school(
    school: School,
    cluster: Cluster,
    *,
    user: AbstractBaseUser | None = None,
    expected_cluster_id: int | None | object = _UNCHECKED,
) -> School:
    """Connect a school to a (different) cluster: its new requests go to that cluster's
    panel and budget, its staff see that cluster (requests already made keep theirs).

    ``expected_cluster_id`` is the cluster the page showed: a school moved meanwhile by
    someone else is not moved again over it (409). Recorded by django-auditlog.
    """
    if user is not None:
        policy.require_edit_cluster_map(user)
    school = (
        School.objects.select_for_update(of=("self",)).select_related("cluster").get(pk=school.pk)
    )
    if expected_cluster_id is not _UNCHECKED and school.cluster_id != expected_cluster_id:
        now = school.cluster.name if school.cluster else "no cluster"
        raise ConflictError(
            f"{school.name} was moved meanwhile and is now in {now}: nothing was changed. "
            "Check where it is and move it again if you still need to."
        )
    if school.cluster_id == cluster.pk:
        raise DomainError(f"{school.name} is already in {cluster.name}.", field="cluster")
    school.cluster = cluster
    school.save(update_fields=["cluster"])
    return school


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Enter the cluster's name.", field="name")
    if len(name) > 120:
        raise DomainError("The cluster's name must be 120 characters or fewer.", field="name")
    return name


def _name_free(district: District, name: str, *, but: Cluster | None = None) -> None:
    taken = Cluster.objects.filter(district=district, name__iexact=name)
    if but is not None:
        taken = taken.exclude(pk=but.pk)
    if taken.exists():
        raise DomainError(f"{district.name} already has a cluster called {name}.", field="name")


@transaction.atomic
def rename_cluster(
    *, user: AbstractBaseUser, cluster: Cluster, name: str, expected_name: str | None = None
) -> Cluster:
    """Rename a cluster; ``expected_name`` is the name the page showed (renamed meanwhile
    by someone else: refused, 409). Its code, schools, panel and budgets stay."""
    policy.require_edit_cluster_map(user)
    cluster = (
        Cluster.objects.select_for_update(of=("self",))
        .select_related("district")
        .get(pk=cluster.pk)
    )
    if expected_name is not None and cluster.name != expected_name:
        raise ConflictError(
            f"The cluster was renamed meanwhile to {cluster.name}: nothing was changed. "
            "Check the name and rename it again if you still need to."
        )
    name = _clean_name(name)
    _name_free(cluster.district, name, but=cluster)
    cluster.name = name
    cluster.save(update_fields=["name"])
    return cluster


@transaction.atomic
def create_cluster(
    *, user: AbstractBaseUser, district: District, name: str, code: str = ""
) -> Cluster:
    """A new cluster in a district (its code made from the names when none is given)."""
    policy.require_edit_cluster_map(user)
    name = _clean_name(name)
    _name_free(district, name)
    code = (code or "").strip().upper()
    taken = set(Cluster.objects.values_list("code", flat=True))
    if code:
        if len(code) > 30:
            raise DomainError("The code must be 30 characters or fewer.", field="code")
        if code in taken:
            raise DomainError(f"Another cluster has the code {code}.", field="code")
    else:
        code = _unique_code(f"{district.code} {name}", taken, 30)
    return Cluster.objects.create(district=district, name=name, code=code)
