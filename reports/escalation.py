"""The LA's escalation extract: EHC needs assessment requests, EHCPs issued, specialist
and alternative-provision placements and permanent exclusions, keyed by UPN.

The file is read as a stream (``clusters.importers``), each UPN checked by its check
letter and hashed to the pupil key as soon as its line is read; the UPN goes no
further (never into a message, the database or the queue). The web process parses and
hashes; what it hands the worker is the import row with the keyed rows (no UPN, no
file: the upload is never saved). The worker checks the rows against the portal (the
pupil has a decided request; the date is not before its first decision), and writes
all or nothing. Each import is the LA's whole extract: it replaces the records before
it, so sending the same file twice changes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from clusters.importers import FileRejected, RowError, Source, _Collector, _Table, parse_date
from funding.models import FundingRequest
from panels.models import Decision, Outcome
from portal import pupil_key

from .models import EscalationImport, EscalationKind, EscalationRecord, ImportStatus

log = logging.getLogger(__name__)

COLUMNS = ("UPN", "Event", "Date")
END_COLUMN = "End date"
# What the Event column may say, by kind (the codes, the labels and the usual short forms).
EVENT_NAMES = {
    **{k.value: k.value for k in EscalationKind},
    **{k.label.lower(): k.value for k in EscalationKind},
    "ehcna": EscalationKind.EHCNA_REQUESTED,
    "ehc needs assessment requested": EscalationKind.EHCNA_REQUESTED,
    "ehcp": EscalationKind.EHCP_ISSUED,
    "specialist": EscalationKind.SPECIALIST_PLACEMENT,
    "special school placement": EscalationKind.SPECIALIST_PLACEMENT,
    "ap": EscalationKind.AP_PLACEMENT,
    "ap placement": EscalationKind.AP_PLACEMENT,
    "alternative provision": EscalationKind.AP_PLACEMENT,
    "permanent exclusion": EscalationKind.PERMANENT_EXCLUSION,
    "pex": EscalationKind.PERMANENT_EXCLUSION,
}
PLACEMENTS = (EscalationKind.SPECIALIST_PLACEMENT, EscalationKind.AP_PLACEMENT)


@dataclass(frozen=True)
class EscalationRow:
    line: int
    pupil_key: str
    kind: str
    on: date
    ended: date | None = None


@dataclass
class EscalationFile:
    rows: list[EscalationRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _event(raw: str) -> str | None:
    return EVENT_NAMES.get(re.sub(r"\s+", " ", raw.strip().lower()))


def parse_escalation(data: Source, *, today: date | None = None) -> EscalationFile:
    """Parse and hash the LA's extract: ``UPN, Event, Date`` and, for placements, an
    optional ``End date``. Every problem is collected (line, column, message); no message
    repeats the UPN."""
    today = today or timezone.localdate()
    result = EscalationFile()
    collector = _Collector("escalation extract")
    with _Table(data, collector) as table:
        by_lower = {h.lower(): h for h in table.header}
        for needed in COLUMNS:
            if needed.lower() not in by_lower:
                collector.add(1, needed, "Required column is missing from the header.")
        if collector.errors:
            result.errors = collector.errors
            return result
        upn_col, event_col, date_col = (by_lower[c.lower()] for c in COLUMNS)
        end_col = by_lower.get(END_COLUMN.lower())
        seen: dict[tuple[str, str, date], int] = {}
        secret = pupil_key.current_secret()
        for line, row in table:
            before = len(collector.errors)
            upn = pupil_key.normalise(row[upn_col])
            problem = pupil_key.upn_problem(upn) if upn else "The UPN is blank"
            if problem:
                collector.add(line, upn_col, problem + ".")
            key = pupil_key.key_for(upn, secret) if not problem else ""
            del upn  # the UPN goes no further than this line
            kind = _event(row[event_col])
            if kind is None:
                collector.add(
                    line,
                    event_col,
                    "The event must be one of: " + ", ".join(k.label for k in EscalationKind) + ".",
                )
            on, error = parse_date(row[date_col])
            if error or on is None:
                collector.add(line, date_col, error or "The date is blank.")
            elif on > today:
                collector.add(line, date_col, "The date is in the future.")
            ended = None
            if end_col and row[end_col].strip():
                ended, error = parse_date(row[end_col])
                if error:
                    collector.add(line, end_col, error)
                elif kind not in PLACEMENTS:
                    collector.add(line, end_col, "Only a placement has an end date.")
                elif on and ended < on:
                    collector.add(line, end_col, "The placement ends before it starts.")
            if len(collector.errors) > before:
                continue
            first = seen.setdefault((key, kind, on), line)
            if first != line:
                collector.add(
                    line, None, f"This row repeats line {first} (same pupil, event and date)."
                )
                continue
            result.rows.append(EscalationRow(line, key, kind, on, ended))
    result.errors = collector.errors
    return result


# ---------------------------------------------------------------- writing


def first_decisions(keys: set[str]) -> dict[str, date]:
    """Per pupil key: the date of the pupil's first decision (an award or a decline) on a
    request, the day the 12 and 24 months of the impact report count from."""
    decided = (
        Decision.objects.filter(
            outcome__in=[Outcome.APPROVED, Outcome.PARTIALLY_APPROVED, Outcome.DECLINED],
            request__pupil_key__in=keys,
        )
        .values("request__pupil_key")
        .annotate(first=Min("decided_at"))
        .order_by()
    )
    return {d["request__pupil_key"]: timezone.localdate(d["first"]) for d in decided}


def check_rows(rows: list[EscalationRow]) -> list[RowError]:
    """The rows against the portal: each pupil has a request here, decided, and no
    date is before the pupil's first decision."""
    keys = {r.pupil_key for r in rows}
    known: set[str] = set()
    for chunk in _chunks(sorted(keys), 5000):
        known |= set(
            FundingRequest.objects.filter(pupil_key__in=chunk)
            .values_list("pupil_key", flat=True)
            .distinct()
        )
    decided: dict[str, date] = {}
    for chunk in _chunks(sorted(known), 5000):
        decided |= first_decisions(set(chunk))
    errors = []
    for r in rows:
        if r.pupil_key not in known:
            errors.append(RowError(r.line, "UPN", "No request in the portal has this UPN."))
        elif r.pupil_key not in decided:
            errors.append(
                RowError(r.line, "UPN", "This pupil's requests have not been decided yet.")
            )
        elif r.on < decided[r.pupil_key]:
            errors.append(
                RowError(
                    r.line,
                    "Date",
                    f"The date ({r.on:%d-%m-%Y}) is before the pupil's first decision "
                    f"({decided[r.pupil_key]:%d-%m-%Y}).",
                )
            )
    return errors


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _as_stage(rows: list[EscalationRow]) -> list[list]:
    return [
        [r.line, r.pupil_key, r.kind, r.on.isoformat(), r.ended.isoformat() if r.ended else None]
        for r in rows
    ]


def _from_stage(staged: list[list]) -> list[EscalationRow]:
    return [
        EscalationRow(
            line, key, kind, date.fromisoformat(on), date.fromisoformat(ended) if ended else None
        )
        for line, key, kind, on, ended in staged
    ]


def _errors_json(errors: list[RowError]) -> list[dict]:
    return [{"line": e.line, "column": e.column, "message": e.message} for e in errors]


def start_import(
    *, user: AbstractBaseUser | None, data: Source, filename: str = "", queue: bool = True
) -> EscalationImport:
    """Parse and hash the upload (here, so no UPN is ever queued or stored) and queue the
    check and the write for the worker. A file that fails to parse is recorded failed,
    with its problems, and nothing is queued."""
    parsed = parse_escalation(data)
    with transaction.atomic():
        run = EscalationImport.objects.create(
            uploaded_by=user,
            filename=filename[:200],
            rows_read=len(parsed.rows),
            status=ImportStatus.FAILED if parsed.errors else ImportStatus.QUEUED,
            errors=_errors_json(parsed.errors),
            staged=None if parsed.errors else _as_stage(parsed.rows),
            finished_at=timezone.now() if parsed.errors else None,
        )
        if queue and not parsed.errors:
            transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(pk: int) -> None:
    from django.conf import settings

    from .tasks import import_escalation

    queue = getattr(settings, "REPORTS_QUEUE", None)  # the report worker's queue
    import_escalation.apply_async(args=[pk], **({"queue": queue} if queue else {}))


def finish_import(pk: int) -> EscalationImport:
    """The worker's part: check the staged rows against the portal and replace the
    escalation records with them, all or nothing. Safe to run twice."""
    with transaction.atomic():
        run = EscalationImport.objects.select_for_update().get(pk=pk)
        if run.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            return run
        rows = _from_stage(run.staged or [])
        errors = check_rows(rows)
        run.finished_at = timezone.now()
        run.staged = None
        if errors:
            run.status, run.errors = ImportStatus.FAILED, _errors_json(errors)
            run.save()
            return run
        EscalationRecord.objects.all().delete()
        EscalationRecord.objects.bulk_create(
            [
                EscalationRecord(
                    pupil_key=r.pupil_key, kind=r.kind, on=r.on, ended=r.ended, source=run
                )
                for r in rows
            ],
            batch_size=5000,
        )
        run.status, run.records = ImportStatus.SUCCEEDED, len(rows)
        run.save()
    log.info("escalation import %s: %s records", pk, len(rows))
    return run


def import_now(
    *, user: AbstractBaseUser | None, data: Source, filename: str = ""
) -> EscalationImport:
    """Parse, check and write in this process (the management command)."""
    run = start_import(user=user, data=data, filename=filename, queue=False)
    if run.status == ImportStatus.FAILED:
        return run
    return finish_import(run.pk)


def rejected(run: EscalationImport) -> FileRejected:
    return FileRejected([RowError(e["line"], e["column"], e["message"]) for e in run.errors])


# ---------------------------------------------------------------- rotation


def stored_pupil_keys() -> set[str]:
    return set(EscalationRecord.objects.values_list("pupil_key", flat=True).distinct().iterator())


def rekey(mapping: dict[str, str], forget: set[str] = frozenset()) -> tuple[int, int]:
    """Re-key the records under the new secret (inside the rotation's transaction); the
    records of forgotten pupils are deleted. Returns (re-keyed, deleted)."""
    deleted, _ = (
        EscalationRecord.objects.filter(pupil_key__in=forget).delete() if forget else (0, 0)
    )
    rows = list(EscalationRecord.objects.select_for_update().only("pk", "pupil_key"))
    for row in rows:
        row.pupil_key = mapping[row.pupil_key]
    EscalationRecord.objects.bulk_update(rows, ["pupil_key"], batch_size=5000)
    return len(rows), deleted
