"""The GIAS and statistics imports by upload (docs/architecture.md §8).

The LA SEND officer uploads a file; the web process parses it with the same parsers as
the management commands (:mod:`clusters.importers`) and runs the same write
(:mod:`clusters.services`) in a transaction it rolls back, so the preview says exactly
what applying will do: new, updated (which fields), closed and unmapped schools, or new
and changed figures and URNs not known. A file with problems is refused with every
line and column, and nothing is kept. A good file is kept in the private storage only
until it is applied or discarded.

"Apply" queues the worker, which reads the stored file again (its progress, rows read
of rows in the file, is saved as it goes), and writes all or nothing in one
transaction. The preview keeps a hash of the rows it read (``fingerprint``); if they
have changed since (another import applied, a school moved), applying is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.errors import ConflictError
from portal.storage import STORAGE_ERRORS, UNAVAILABLE_MESSAGE, StorageUnavailable, private_storage

from . import policy, services
from .importers import (
    FileRejected,
    GiasFile,
    MappingFile,
    RowError,
    Source,
    StatsFile,
    parse_cluster_mapping,
    parse_gias,
    parse_school_stats,
)
from .models import (
    Cluster,
    District,
    ImportKind,
    ImportStatus,
    School,
    SchoolImport,
    SchoolYearStats,
    academic_year_label,
)

log = logging.getLogger(__name__)

# Each list of the preview keeps this many entries (the counts are always whole).
PREVIEW_KEPT = 5000
# How often (in lines) the worker saves how far it has read.
PROGRESS_EVERY = 2000

STALE_MESSAGE = (
    "The portal's schools have changed since this preview was made (another import was "
    "applied, or a school was moved), so it was not applied and nothing has changed. "
    "Upload the file again to see what it would change now."
)
BUSY_MESSAGE = (
    "Another import is being applied. Wait until it has finished, then upload this file "
    "again to see what it would change then."
)

SCHOOL_FIELDS = [f.attname for f in School._meta.concrete_fields if f.name != "id"]
STATS_FIELDS = [
    f.attname
    for f in SchoolYearStats._meta.concrete_fields
    if f.name not in ("id", "school", "academic_year")
]


def _errors_json(errors: list[RowError]) -> list[dict]:
    return [
        {"line": e.line, "column": e.column, "message": e.message, "source": e.source}
        for e in errors
    ]


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _label(model, attname: str) -> str:
    name = attname.removesuffix("_id")
    label = str(model._meta.get_field(name).verbose_name)
    return label[0].upper() + label[1:] if label[:3] not in ("URN", "FSM", "LA ") else label


def _shown(value: object, clusters: dict[int, str] | None = None, *, cluster=False) -> str:
    if cluster:
        return (clusters or {}).get(value, "") if value else "(no cluster)"
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def _kept(items: list) -> list:
    return items[:PREVIEW_KEPT]


# ---------------------------------------------------------------- the rows as they are


def _gias_state(scope: dict) -> dict:
    """The rows a GIAS import reads and writes: its schools (in the file, in the mapping,
    and the LA's), the districts and clusters, and the year's figures if it sets them."""
    urns = scope["urns"]
    schools = {
        row["urn"]: row
        for row in School.objects.filter(Q(urn__in=urns) | Q(la_code=scope["la_code"]))
        .order_by("urn")
        .values(*SCHOOL_FIELDS)
    }
    state = {
        "schools": schools,
        "clusters": list(
            Cluster.objects.order_by("pk").values_list("pk", "code", "name", "district_id")
        ),
        "districts": list(District.objects.order_by("pk").values_list("pk", "code", "name")),
    }
    if scope.get("year") is not None:
        state["stats"] = list(
            SchoolYearStats.objects.filter(school__urn__in=urns, academic_year=scope["year"])
            .order_by("school_id")
            .values_list("school_id", *STATS_FIELDS)
        )
    return state


def _stats_state(scope: dict) -> dict:
    schools = dict(
        School.objects.filter(urn__in=scope["urns"]).order_by("urn").values_list("urn", "pk")
    )
    rows = {
        (row["school_id"], row["academic_year"]): row
        for row in SchoolYearStats.objects.filter(
            school_id__in=schools.values(), academic_year__in=scope["years"]
        )
        .order_by("school_id", "academic_year")
        .values("school_id", "academic_year", *STATS_FIELDS)
    }
    return {"schools": schools, "rows": rows}


def _fingerprint(kind: str, state: dict) -> str:
    if kind == ImportKind.STATS:
        state = {"schools": state["schools"], "rows": sorted(state["rows"].items())}
    return _hash(state)


def fingerprint_now(run: SchoolImport) -> str:
    """The hash of the rows the import's preview read, as they are now."""
    state = _gias_state(run.scope) if run.kind == ImportKind.GIAS else _stats_state(run.scope)
    return _fingerprint(run.kind, state)


# ---------------------------------------------------------------- previews


def _gias_preview(
    gias: GiasFile, mapping: MappingFile | None, year: int | None
) -> tuple[dict, dict, str]:
    """What importing would change, found by importing in a transaction rolled back.
    Raises FileRejected (the file's problems, and those found against the portal)."""
    urns = sorted(
        {r.urn for r in gias.records} | {m.urn for m in (mapping.rows if mapping else [])}
    )
    scope = {"urns": urns, "la_code": gias.la_code, "year": year}
    with transaction.atomic():
        before = _gias_state(scope)
        fingerprint = _fingerprint(ImportKind.GIAS, before)
        old_clusters = {pk for pk, *_ in before["clusters"]}
        report = services.import_gias(gias, mapping, year=year)
        after = School.objects.filter(urn__in=urns).values(*SCHOOL_FIELDS)
        after = {row["urn"]: row for row in after}
        clusters = dict(Cluster.objects.values_list("pk", "name"))
        transaction.set_rollback(True)
    before_schools = before["schools"]
    new, updated, closed = [], [], []
    for urn in urns:
        now, was = after.get(urn), before_schools.get(urn)
        if now is None:
            continue
        entry = {"urn": urn, "name": now["name"]}
        if was is None:
            new.append({**entry, "cluster": _shown(now["cluster_id"], clusters, cluster=True)})
        else:
            changes = [
                {
                    "field": _label(School, f),
                    "before": _shown(was[f], clusters, cluster=f == "cluster_id"),
                    "after": _shown(now[f], clusters, cluster=f == "cluster_id"),
                }
                for f in SCHOOL_FIELDS
                if now[f] != was[f]
            ]
            if changes:
                updated.append({**entry, "changes": changes})
        if not now["is_open"] and (was is None or was["is_open"]):
            closed.append(entry)
    unmapped = [{"urn": urn, "name": name} for urn, name in report.unmapped]
    preview = {
        "counts": {
            "new": len(new),
            "updated": len(updated),
            "unchanged": report.unchanged,
            "closed": len(closed),
            "unmapped": len(unmapped),
            "skipped_other_la": report.skipped_other_la,
            "districts_created": report.districts_created,
            "clusters_created": report.clusters_created,
            "stats_created": report.stats_created,
            "stats_updated": report.stats_updated,
        },
        "new": _kept(new),
        "updated": _kept(updated),
        "closed": _kept(closed),
        "unmapped": _kept(unmapped),
        "clusters_new": sorted(name for pk, name in clusters.items() if pk not in old_clusters),
    }
    return preview, scope, fingerprint


def _stats_preview(stats: StatsFile) -> tuple[dict, dict, str]:
    urns = sorted({r.urn for r in stats.rows})
    years = sorted({r.academic_year for r in stats.rows})
    scope = {"urns": urns, "years": years}
    with transaction.atomic():
        before = _stats_state(scope)
        fingerprint = _fingerprint(ImportKind.STATS, before)
        report = services.import_school_stats(stats)
        after = _stats_state(scope)["rows"]
        transaction.set_rollback(True)
    names = dict(School.objects.filter(urn__in=urns).values_list("urn", "name"))
    urn_of = {pk: urn for urn, pk in before["schools"].items()}
    new, changed = [], []
    for (school_id, year), now in sorted(
        after.items(), key=lambda kv: (urn_of[kv[0][0]], kv[0][1])
    ):
        urn = urn_of[school_id]
        entry = {"urn": urn, "name": names[urn], "year": academic_year_label(year)}
        was = before["rows"].get((school_id, year))
        if was is None:
            new.append(entry)
            continue
        changes = [
            {"field": _label(SchoolYearStats, f), "before": _shown(was[f]), "after": _shown(now[f])}
            for f in STATS_FIELDS
            if now[f] != was[f]
        ]
        if changes:
            changed.append({**entry, "changes": changes})
    unknown = [{"line": r.line, "urn": r.urn} for r in stats.rows if r.urn not in names]
    preview = {
        "layout": stats.layout,
        "years": [academic_year_label(y) for y in years],
        "counts": {
            "new": len(new),
            "changed": len(changed),
            "unchanged": report.created + report.updated - len(new) - len(changed),
            "unknown": len(unknown),
            "skipped_other_levels": report.skipped_other_levels,
        },
        "new": _kept(new),
        "changed": _kept(changed),
        "unknown": _kept(unknown),
    }
    return preview, scope, fingerprint


# ---------------------------------------------------------------- upload


def _data_lines(handle: BinaryIO) -> int:
    """Rows in the file after its header (what the worker's progress counts)."""
    handle.seek(0)
    lines, last = 0, b"\n"
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    handle.seek(0)
    return max(0, lines + (last != b"\n") - 1)


def _store(run: SchoolImport, field: str, data: BinaryIO, suffix: str) -> None:
    data.seek(0)
    try:
        getattr(run, field).save(f"{uuid.uuid4().hex}-{suffix}.csv", File(data), save=False)
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable(UNAVAILABLE_MESSAGE) from exc


def _as_handle(data: Source) -> BinaryIO:
    return io.BytesIO(data) if isinstance(data, bytes | bytearray) else data


@transaction.atomic
def upload_gias(
    *,
    user: AbstractBaseUser,
    data: Source,
    filename: str = "",
    mapping: Source | None = None,
    mapping_filename: str = "",
    year: int | None = None,
    la_code: str | None = None,
) -> SchoolImport:
    """Check a GIAS extract (and cluster mapping) and preview what it would change.

    A file with problems is recorded with them (and not kept); nothing else changes.
    """
    policy.require_import_schools(user)
    data = _as_handle(data)
    gias = parse_gias(data, la_code or settings.LA_CODE)
    parsed_mapping = None
    if mapping is not None:
        mapping = _as_handle(mapping)
        parsed_mapping = parse_cluster_mapping(mapping)
    run = SchoolImport(
        kind=ImportKind.GIAS,
        uploaded_by=user,
        filename=filename[:200],
        mapping_filename=mapping_filename[:200] if mapping is not None else "",
        la_code=gias.la_code,
        academic_year=year,
        rows_read=gias.rows_read,
    )
    try:
        run.preview, run.scope, run.fingerprint = _gias_preview(gias, parsed_mapping, year)
    except FileRejected as exc:
        return _rejected(run, exc.errors)
    run.status = ImportStatus.PREVIEW
    run.rows_total = _data_lines(data)
    _store(run, "file", data, "gias")
    if mapping is not None:
        _store(run, "mapping_file", mapping, "mapping")
    run.save()
    return run


@transaction.atomic
def upload_stats(
    *, user: AbstractBaseUser, data: Source, filename: str = "", year: int | None = None
) -> SchoolImport:
    """Check a statistics file (the DfE's SEN file or the LA template) and preview it.
    ``year`` keeps only that academic year's rows; without it, every year in the file."""
    policy.require_import_schools(user)
    data = _as_handle(data)
    stats = parse_school_stats(data, year=year)
    run = SchoolImport(
        kind=ImportKind.STATS,
        uploaded_by=user,
        filename=filename[:200],
        academic_year=year,
        rows_read=len(stats.rows) + stats.skipped_other_levels,
    )
    if not stats.errors and not stats.rows:
        which = f" for {academic_year_label(year)}" if year is not None else ""
        return _rejected(run, [RowError(None, None, f"The file has no school rows{which}.")])
    try:
        run.preview, run.scope, run.fingerprint = _stats_preview(stats)
    except FileRejected as exc:
        return _rejected(run, exc.errors)
    run.status = ImportStatus.PREVIEW
    run.rows_total = _data_lines(data)
    _store(run, "file", data, "stats")
    run.save()
    return run


def _rejected(run: SchoolImport, errors: list[RowError]) -> SchoolImport:
    run.status = ImportStatus.REJECTED
    run.errors = _errors_json(errors)
    run.finished_at = timezone.now()
    run.save()
    return run


# ---------------------------------------------------------------- apply and discard


def _forget_files(run: SchoolImport) -> None:
    """Delete the stored files (after apply or discard): kept no longer than needed."""
    for field in ("file", "mapping_file"):
        name = getattr(run, field).name
        if name:
            try:
                private_storage().delete(name)
            except STORAGE_ERRORS:  # a store that is down: the name is logged to tidy later
                log.warning("school import %s: could not delete %s", run.pk, name)
            setattr(run, field, "")


@transaction.atomic
def request_apply(*, user: AbstractBaseUser, run_id: int) -> SchoolImport:
    """Queue the worker to apply a previewed import; refused (409) when it is no longer a
    preview, another import is being applied, or the rows it read have changed since."""
    policy.require_import_schools(user)
    run = SchoolImport.objects.select_for_update().get(pk=run_id)
    if not run.is_preview:
        raise ConflictError(
            f"This import cannot be applied: it is “{run.get_status_display()}”. "
            "Upload the file again to import it."
        )
    busy = SchoolImport.objects.filter(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING])
    if busy.exclude(pk=run.pk).exists():
        raise ConflictError(BUSY_MESSAGE)
    if fingerprint_now(run) != run.fingerprint:
        raise ConflictError(STALE_MESSAGE)
    run.status = ImportStatus.QUEUED
    run.applied_by, run.applied_at = user, timezone.now()
    run.progress_message = "Waiting for the worker"
    run.save()
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


@transaction.atomic
def discard(*, user: AbstractBaseUser, run_id: int) -> SchoolImport:
    """Throw a preview away: its files are deleted, nothing is imported."""
    policy.require_import_schools(user)
    run = SchoolImport.objects.select_for_update().get(pk=run_id)
    if not run.is_preview:
        raise ConflictError(f"This import cannot be discarded: it is “{run.get_status_display()}”.")
    _forget_files(run)
    run.status, run.finished_at = ImportStatus.DISCARDED, timezone.now()
    run.save()
    return run


def discard_old_previews(*, now=None) -> list[int]:
    """Previews nobody applied or discarded within ``IMPORT_PREVIEW_DAYS``: discarded, so
    the uploaded files are not kept longer than they are needed (beat, nightly)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.IMPORT_PREVIEW_DAYS)
    old = list(
        SchoolImport.objects.filter(status=ImportStatus.PREVIEW, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for pk in old:
        with transaction.atomic():
            run = SchoolImport.objects.select_for_update().get(pk=pk)
            if not run.is_preview:
                continue
            _forget_files(run)
            run.status, run.finished_at = ImportStatus.DISCARDED, timezone.now()
            run.message = "Discarded: not applied within the days a preview is kept."
            run.save()
    return old


def _enqueue(pk: int) -> None:
    from .tasks import apply_school_import

    queue = getattr(settings, "REPORTS_QUEUE", None)  # the report worker's queue
    apply_school_import.apply_async(args=[pk], **({"queue": queue} if queue else {}))


class _CountingReader(io.RawIOBase):
    """The stored file, telling how many lines have been read since it was last rewound.
    The parser reads it twice: to the end to choose the encoding (``phase`` 0), then the
    rows (``phase`` 1); a phase ends when the file's end is reached."""

    def __init__(self, raw, report: Callable[[int, int], None]):
        self.raw, self.report = raw, report
        self.phase, self.lines, self._told = 0, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.lines += data.count(b"\n")
        if not n:
            self.report(self.phase, self.lines)
            self.phase = 1
        elif self.lines - self._told >= PROGRESS_EVERY:
            self._told = self.lines
            self.report(self.phase, self.lines)
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if offset == 0 and whence == io.SEEK_SET:
            self.lines, self._told = 0, 0
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


def _progress(run: SchoolImport, lines: int, message: str) -> None:
    done = min(lines, run.rows_total)
    SchoolImport.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(
        rows_done=done, progress_message=message[:200]
    )


def _parse_stored(run: SchoolImport):
    """Read the stored file again with the same parsers, saving progress as it goes."""

    def report(phase: int, lines: int) -> None:
        lines = max(0, lines - 1)  # the header is no row
        of = f"{min(lines, run.rows_total):,} of {run.rows_total:,}"
        what = "Checking the file's encoding" if phase == 0 else "Reading the rows"
        _progress(run, lines if phase else 0, f"{what}: {of} rows")

    with private_storage().open(run.file.name, "rb") as stored:
        handle = io.BufferedReader(_CountingReader(stored, report))
        if run.kind == ImportKind.STATS:
            return parse_school_stats(handle, year=run.academic_year), None
        gias = parse_gias(handle, run.la_code)
    mapping = None
    if run.mapping_file.name:
        with private_storage().open(run.mapping_file.name, "rb") as stored:
            mapping = parse_cluster_mapping(stored.read())
    return gias, mapping


def _result(report) -> dict:
    if isinstance(report, services.GiasImportReport):
        return {
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "closed": report.closed,
            "unmapped": len(report.unmapped),
            "districts_created": report.districts_created,
            "clusters_created": report.clusters_created,
            "stats_created": report.stats_created,
            "stats_updated": report.stats_updated,
        }
    return {
        "created": report.created,
        "updated": report.updated,
        "skipped_unknown_schools": report.skipped_unknown_schools,
    }


def _finish(pk: int, status: str, **values) -> SchoolImport:
    with transaction.atomic():
        run = SchoolImport.objects.select_for_update().get(pk=pk)
        _forget_files(run)
        run.status, run.finished_at = status, timezone.now()
        for key, value in values.items():
            setattr(run, key, value)
        run.save()
    return run


def apply_import(pk: int) -> SchoolImport:
    """The worker's part: read the stored file again, check the rows the preview read are
    unchanged, and import all or nothing in one transaction. Safe to run twice."""
    claimed = SchoolImport.objects.filter(
        pk=pk, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, rows_done=0, progress_message="Opening the file")
    run = SchoolImport.objects.get(pk=pk)
    if not claimed:
        return run  # applied, failed or discarded already
    try:
        parsed, mapping = _parse_stored(run)
    except STORAGE_ERRORS:
        return _finish(
            pk,
            ImportStatus.FAILED,
            message="The file could not be read back from the portal's file store, so "
            "nothing was imported. Upload it again.",
        )
    _progress(run, run.rows_total, "Writing the changes")
    try:
        with transaction.atomic():
            locked = SchoolImport.objects.select_for_update().get(pk=pk)
            if locked.status != ImportStatus.RUNNING:
                return locked
            # Other imports wait here until this one has committed (and then see its rows).
            list(
                School.objects.select_for_update()
                .filter(urn__in=locked.scope.get("urns", []))
                .values_list("pk", flat=True)
            )
            if fingerprint_now(locked) != locked.fingerprint:
                raise ConflictError(STALE_MESSAGE)
            if locked.kind == ImportKind.GIAS:
                report = services.import_gias(parsed, mapping, year=locked.academic_year)
            else:
                report = services.import_school_stats(parsed)
            _forget_files(locked)
            locked.status, locked.finished_at = ImportStatus.SUCCEEDED, timezone.now()
            locked.rows_done, locked.progress_message = locked.rows_total, "Done"
            locked.result = _result(report)
            locked.save()
    except FileRejected as exc:
        return _finish(
            pk,
            ImportStatus.FAILED,
            errors=_errors_json(exc.errors),
            message="The file has problems now, so nothing was imported.",
        )
    except ConflictError as exc:
        return _finish(pk, ImportStatus.FAILED, message=exc.message)
    log.info("school import %s applied: %s", pk, locked.result)
    return locked
