"""Parse and validate the files an LA officer imports: GIAS, cluster mapping, school statistics.

Parsing never writes. Each parser reads the file as a stream, line by line (a
national GIAS extract is 150 MB; only the rows kept are held in memory), collects
every problem as a :class:`RowError` (line, column, message) and returns plain
records; the write step in :mod:`clusters.services` runs only when no problem was
found, so a bad file imports nothing and the officer can fix every line in one go.
Files above ``settings.IMPORT_MAX_BYTES`` are refused before they are read.

Columns are read by name (the DfE reorders them between releases). The GIAS
download is Windows-1252; UTF-8 with or without a BOM is accepted too, and a file
mixing the two is refused at its first bad byte (see :func:`choose_encoding`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.conf import settings

from .models import Phase

# Statuses kept from GIAS; "Closed" schools of the LA are kept but marked closed.
OPEN_STATUSES = frozenset({"Open", "Open, but proposed to close", "Proposed to open"})
CLOSED_STATUS = "Closed"

# Markers the DfE uses for suppressed or unavailable figures: read as "no figure".
SUPPRESSED = frozenset({"c", "x", "z", "u", "low", ":", "..", "supp", "ne", "n/a", "na"})

# Errors are all collected; a file this wrong is not worth listing further.
MAX_ERRORS = 1000


@dataclass(frozen=True)
class RowError:
    line: int | None
    column: str | None
    message: str
    source: str = ""

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class MoreProblems(RowError):
    """Not a problem of its own: the file has more than ``MAX_ERRORS``, and this says so."""


class FileRejected(Exception):
    """The file (or the import as a whole) has problems; nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) found; nothing imported")


class _Collector:
    def __init__(self, source: str):
        self.source = source
        self.errors: list[RowError] = []

    def add(self, line: int | None, column: str | None, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(line, column, message, self.source))
        elif len(self.errors) == MAX_ERRORS:
            # Said once, so "1000 problems" never passes for all of them.
            self.errors.append(
                MoreProblems(
                    None,
                    None,
                    f"More problems than the {MAX_ERRORS:,} listed: fix these and check the "
                    "file again for the rest.",
                    self.source,
                )
            )


# --- reading text -----------------------------------------------------------------------

_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_TEXT = "The file is not CSV text in UTF-8 or Windows-1252 (it looks binary or UTF-16)."

# What the parsers read: the bytes themselves (small files, tests) or a binary file
# opened by the caller, which is read as a stream and never held whole in memory.
Source = bytes | BinaryIO


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB" if size >= 1_000_000 else f"{size:,} bytes"


def _size_of(handle: BinaryIO) -> int | None:
    try:
        here = handle.tell()
        size = handle.seek(0, io.SEEK_END)
        handle.seek(here)
    except (OSError, AttributeError, io.UnsupportedOperation):
        return None
    return size - here


def _too_big(size: int, limit: int) -> RowError:
    return RowError(
        None,
        None,
        f"The file is {_mb(size)}: imports are limited to {_mb(limit)} "
        "(the IMPORT_MAX_BYTES setting). Split the file, or filter it to the LA's rows first.",
    )


def choose_encoding(handle: BinaryIO, source: str = "", *, max_bytes: int | None = None) -> str:
    """Read the file once, line by line, and say how to decode it; rewind it after.

    UTF-8 (with or without a BOM) when every line is UTF-8; Windows-1252 (the GIAS
    download) when no line holds a UTF-8 character at all. A file that is UTF-8 in
    places and not in others (a stray byte pasted from Windows) is refused with the
    line and byte of the first bad byte: decoding it wholesale as Windows-1252 would
    turn every ``’`` of the file into ``â€™``.
    """

    def refuse(message: str, line: int | None = None) -> FileRejected:
        return FileRejected([RowError(line, None, message, source)])

    limit = settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    start = handle.tell()
    size = _size_of(handle)
    if size is not None and size > limit:
        raise FileRejected([replace(_too_big(size, limit), source=source)])
    head = handle.read(4096)
    handle.seek(start)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise refuse("This is a spreadsheet, not a CSV file: save it as CSV.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
        raise refuse(_NOT_TEXT)
    bom = head.startswith(codecs.BOM_UTF8)

    offset = 0  # bytes before this line
    blank = True
    first_utf8: int | None = None  # line of the first UTF-8 character beyond ASCII
    first_bad: tuple[int, int, int, int] | None = None  # line, byte in line, offset, value
    first_cp1252_bad: tuple[int, int, int, int] | None = None
    for number, raw in enumerate(handle, start=1):
        if offset + len(raw) > limit:
            raise FileRejected([replace(_too_big(offset + len(raw), limit), source=source)])
        skip = 3 if number == 1 and bom else 0  # the BOM is no character of the text
        body = raw[skip:]
        if blank and body.strip():
            blank = False
        if _CONTROL.search(body):
            raise refuse(_NOT_TEXT.replace("binary or UTF-16", "binary"), number)
        if not body.isascii():
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                at = skip + exc.start
                if first_bad is None:
                    first_bad = (number, at + 1, offset + at + 1, raw[at])
                text = body.decode("utf-8", errors="surrogateescape")
                if first_utf8 is None and any(
                    c > "\x7f" and not "\udc80" <= c <= "\udcff" for c in text
                ):
                    first_utf8 = number
                if first_cp1252_bad is None:
                    try:
                        body.decode("cp1252")
                    except UnicodeDecodeError as bad:
                        at = skip + bad.start
                        first_cp1252_bad = (number, at + 1, offset + at + 1, raw[at])
            else:
                if first_utf8 is None:
                    first_utf8 = number
        offset += len(raw)
    handle.seek(start)
    if blank:
        raise refuse("The file is empty.")
    if first_bad is None:
        return "utf-8-sig"
    line, byte, at, value = first_bad
    if bom or first_utf8 is not None:
        why = "the file starts with a UTF-8 mark" if bom else f"line {first_utf8} is UTF-8"
        raise refuse(
            f"byte {byte} of the line (byte {at:,} of the file), 0x{value:02X}, is not UTF-8, "
            f"but {why}: the file mixes two encodings. Correct that character, or save the "
            "whole file again as UTF-8.",
            line,
        )
    if first_cp1252_bad is not None:
        line, byte, at, value = first_cp1252_bad
        raise refuse(
            f"byte {byte} of the line (byte {at:,} of the file), 0x{value:02X}, is neither "
            "UTF-8 nor Windows-1252: save the file as UTF-8.",
            line,
        )
    return "cp1252"


class _Table:
    """The header, then the rows one at a time: (line where the record starts, values)."""

    def __init__(self, source: Source, collector: _Collector, *, max_bytes: int | None = None):
        self.collector = collector
        self.header: list[str] = []
        self.rows_read = 0
        self._text: io.TextIOWrapper | None = None
        handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
        try:
            encoding = choose_encoding(handle, collector.source, max_bytes=max_bytes)
        except FileRejected as exc:
            collector.errors.extend(exc.errors)
            self._reader = iter(())
            return
        self._text = io.TextIOWrapper(handle, encoding=encoding, newline="")
        self._reader = csv.reader(self._text)
        try:
            header = next(self._reader)
        except StopIteration:
            collector.add(None, None, "The file is empty.")
            return
        except csv.Error as exc:
            collector.add(1, None, f"Not readable as CSV: {exc}")
            return
        self.header = [h.strip() for h in header]
        if not any(self.header):
            collector.add(1, None, "Line 1 is blank: the first line must be the header row.")
            self.header = []
            return
        seen: set[str] = set()
        for name in self.header:
            if name and name in seen:
                collector.add(1, name, "This column appears twice in the header.")
            seen.add(name)

    def __enter__(self) -> _Table:
        return self

    def __exit__(self, *exc) -> None:
        # The file is the caller's: let go of it without closing it, as the text
        # wrapper would when it is collected.
        if self._text is not None:
            self._text.detach()
            self._text = None

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        if not self.header:
            return
        reader, header, collector = self._reader, self.header, self.collector
        last_line = reader.line_num
        while True:
            start = last_line + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                collector.add(start, None, f"Not readable as CSV: {exc}")
                break
            last_line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank lines (often at the end of a hand-made file)
            self.rows_read += 1
            if len(values) > len(header):
                collector.add(
                    start,
                    None,
                    f"The row has {len(values)} cells but the header has {len(header)}.",
                )
                continue
            yield (
                start,
                {name: (values[i] if i < len(values) else "") for i, name in enumerate(header)},
            )
        if not self.rows_read and not collector.errors:
            collector.add(None, None, "The file has a header but no rows.")


def _require_columns(table: _Table, required: list[str], collector: _Collector) -> bool:
    missing = [c for c in required if c not in table.header]
    for column in missing:
        collector.add(1, column, "Required column is missing from the header.")
    return not missing


# --- cell parsers: return (value, error message or None) -------------------------------


def _blank(raw: str) -> bool:
    return raw.strip().lower() in SUPPRESSED or not raw.strip()


def parse_int(raw: str, *, minimum: int = 0) -> tuple[int | None, str | None]:
    raw = raw.strip().replace(",", "")
    if _blank(raw):
        return None, None
    if not re.fullmatch(r"[+-]?\d+", raw):
        return None, f"'{raw}' is not a whole number."
    value = int(raw)
    if value < minimum:
        return None, f"{value} is below the minimum of {minimum}."
    return value, None


def parse_decimal(raw: str, *, places: int = 2, maximum: Decimal | None = None):
    raw = raw.strip().replace(",", "").removeprefix("£").removesuffix("%")
    if _blank(raw):
        return None, None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None, f"'{raw}' is not a number."
    if not value.is_finite() or value < 0:
        return None, f"'{raw}' is not a number of zero or more."
    if maximum is not None and value > maximum:
        return None, f"{value} is above the maximum of {maximum}."
    return value.quantize(Decimal(1).scaleb(-places)), None


def parse_date(raw: str) -> tuple[date | None, str | None]:
    raw = raw.strip()
    if not raw:
        return None, None
    for fmt in ("%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date(), None  # noqa: DTZ007 -- a calendar date
        except ValueError:
            continue
    return None, f"'{raw}' is not a date in the form dd-mm-yyyy."


def parse_academic_year(raw: str) -> tuple[int | None, str | None]:
    """``2025``, ``2025/26``, ``2025-26`` or the DfE's ``202526`` all mean 2025/26."""
    raw = raw.strip()
    match = re.fullmatch(r"(\d{4})(?:[/-]?(\d{2}))?", raw)
    if not match:
        return None, f"'{raw}' is not an academic year such as 2025/26 or 202526."
    start = int(match.group(1))
    if match.group(2) is not None and int(match.group(2)) != (start + 1) % 100:
        return None, f"'{raw}' is not an academic year: the second year must follow the first."
    if not 1990 <= start <= 2100:
        return None, f"'{raw}' is out of range."
    return start, None


def gias_phase(phase_name: str, type_name: str) -> str:
    """Our phase from GIAS's phase and establishment type (special schools are 'Not applicable')."""
    if "special" in type_name.lower():
        return Phase.SPECIAL
    return {
        "nursery": Phase.NURSERY,
        "primary": Phase.PRIMARY,
        "middle deemed primary": Phase.PRIMARY,
        "secondary": Phase.SECONDARY,
        "middle deemed secondary": Phase.SECONDARY,
        "16 plus": Phase.POST_16,
        "all-through": Phase.ALL_THROUGH,
    }.get(phase_name.strip().lower(), Phase.OTHER)


# --- GIAS -------------------------------------------------------------------------------

GIAS_REQUIRED = [
    "URN",
    "LA (code)",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
]

# Text columns copied to School fields (column absent → field left as it was).
GIAS_TEXT_FIELDS = {
    "LA (name)": ("la_name", 120),
    "EstablishmentNumber": ("establishment_number", 10),
    "EstablishmentTypeGroup (name)": ("type_group", 120),
    "DistrictAdministrative (name)": ("district_administrative", 120),
    "Postcode": ("postcode", 10),
    "Trusts (name)": ("trust_name", 200),
}
GIAS_DATE_FIELDS = {
    "OpenDate": "open_date",
    "CloseDate": "close_date",
    "LastChangedDate": "gias_last_changed",
}
GIAS_AGE_FIELDS = {"StatutoryLowAge": "statutory_low_age", "StatutoryHighAge": "statutory_high_age"}
# GIAS figures that can seed a SchoolYearStats row: column → (field, kind).
GIAS_STATS_FIELDS = {
    "NumberOfPupils": ("number_on_roll", "int"),
    "FSM": ("fsm_pupils", "int"),
    "PercentageFSM": ("fsm_percent", "percent"),
    "SENStat": ("ehcp_pupils", "int"),
    "SENNoStat": ("sen_support_pupils", "int"),
}


@dataclass
class GiasRecord:
    line: int
    urn: int
    fields: dict  # School field values
    stats: dict  # SchoolYearStats field values found (may be empty)
    stats_columns: dict  # field → column, to point errors at the right cell


@dataclass
class GiasFile:
    la_code: str
    records: list[GiasRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_other_la: int = 0
    rows_read: int = 0
    # Every URN of the LA's rows, kept or not: a mapping row naming a school whose GIAS
    # row has a problem is that row's problem, not a second one.
    la_urns: set[int] = field(default_factory=set)


def parse_gias(data: Source, la_code: str, *, max_bytes: int | None = None) -> GiasFile:
    """Validate a GIAS establishment extract and keep the rows of LA ``la_code``.

    The file is read as a stream: memory grows with the LA's schools, not with the
    size of the national extract.
    """
    result = GiasFile(la_code=la_code.strip())
    collector = _Collector("GIAS file")
    with _Table(data, collector, max_bytes=max_bytes) as table:
        if not table.header or not _require_columns(table, GIAS_REQUIRED, collector):
            result.errors = collector.errors
            return result
        seen_urns: dict[int, int] = {}
        for line, row in table:
            result.rows_read += 1
            if row["LA (code)"].strip() != result.la_code:
                result.skipped_other_la += 1
                continue
            if re.fullmatch(r"\d{5,7}", row["URN"].strip()):
                result.la_urns.add(int(row["URN"]))
            record = _gias_record(line, row, collector)
            if record is None:
                continue
            if record.urn in seen_urns:
                collector.add(
                    line,
                    "URN",
                    f"URN {record.urn} appears again (first on line {seen_urns[record.urn]}).",
                )
                continue
            seen_urns[record.urn] = line
            result.records.append(record)
        if not result.records and not collector.errors:
            collector.add(None, "LA (code)", f"No rows for LA {result.la_code} in this file.")
        result.errors = collector.errors
        return result


def _gias_record(line: int, row: dict[str, str], collector: _Collector) -> GiasRecord | None:
    before = len(collector.errors)
    urn_raw = row["URN"].strip()
    urn = None
    if not re.fullmatch(r"\d{5,7}", urn_raw):
        collector.add(line, "URN", f"'{urn_raw}' is not a URN (a number of 5 to 7 digits).")
    else:
        urn = int(urn_raw)
    name = row["EstablishmentName"].strip()
    if not name:
        collector.add(line, "EstablishmentName", "The establishment name is blank.")
    elif len(name) > 200:
        collector.add(line, "EstablishmentName", "The name is longer than 200 characters.")
    status = row["EstablishmentStatus (name)"].strip()
    if status not in OPEN_STATUSES and status != CLOSED_STATUS:
        collector.add(line, "EstablishmentStatus (name)", f"Unknown status '{status}'.")
    type_name = row["TypeOfEstablishment (name)"].strip()
    phase_name = row["PhaseOfEducation (name)"].strip()
    fields: dict = {
        "name": name,
        "la_code": row["LA (code)"].strip(),
        "establishment_type": type_name[:120],
        "gias_phase": phase_name[:60],
        "phase": gias_phase(phase_name, type_name),
        "status": status,
        "is_open": status in OPEN_STATUSES,
    }
    for column, (name_, length) in GIAS_TEXT_FIELDS.items():
        if column in row:
            fields[name_] = row[column].strip()[:length]
    for column, name_ in GIAS_DATE_FIELDS.items():
        if column in row:
            value, error = parse_date(row[column])
            if error:
                collector.add(line, column, error)
            fields[name_] = value
    for column, name_ in GIAS_AGE_FIELDS.items():
        if column in row:
            value, error = parse_int(row[column])
            if error or (value is not None and value > 99):
                collector.add(line, column, error or f"{value} is not an age.")
            fields[name_] = value
    stats: dict = {}
    stats_columns: dict = {}
    for column, (name_, kind) in GIAS_STATS_FIELDS.items():
        if column not in row:
            continue
        if kind == "int":
            value, error = parse_int(row[column])
        else:
            value, error = parse_decimal(row[column], maximum=Decimal(100))
        if error:
            collector.add(line, column, error)
        elif value is not None:
            stats[name_] = value
            stats_columns[name_] = column
    if len(collector.errors) > before or urn is None:
        return None
    return GiasRecord(line, urn, fields, stats, stats_columns)


# --- cluster mapping --------------------------------------------------------------------


@dataclass
class MappingRow:
    line: int
    urn: int
    district: str
    cluster: str
    cluster_code: str
    district_code: str


@dataclass
class MappingFile:
    rows: list[MappingRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _normal(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip().lower())


def _columns_by_normal_name(header: list[str]) -> dict[str, str]:
    return {_normal(h): h for h in header}


def parse_cluster_mapping(data: Source, *, max_bytes: int | None = None) -> MappingFile:
    """A CSV of ``URN, District, Cluster`` (optional ``Cluster code``, ``District code``)."""
    result = MappingFile()
    collector = _Collector("cluster mapping")
    with _Table(data, collector, max_bytes=max_bytes) as table:
        cols = _columns_by_normal_name(table.header)
        for needed in ("URN", "District", "Cluster"):
            if _normal(needed) not in cols:
                collector.add(1, needed, "Required column is missing from the header.")
        if collector.errors:
            result.errors = collector.errors
            return result
        urn_col, district_col, cluster_col = cols["urn"], cols["district"], cols["cluster"]
        code_col = cols.get("cluster code")
        district_code_col = cols.get("district code")
        seen: dict[int, int] = {}
        codes: dict[str, tuple[str, str, int]] = {}
        for line, row in table:
            before = len(collector.errors)
            urn_raw = row[urn_col].strip()
            if not re.fullmatch(r"\d{5,7}", urn_raw):
                collector.add(
                    line, urn_col, f"'{urn_raw}' is not a URN (a number of 5 to 7 digits)."
                )
            district = row[district_col].strip()
            cluster = row[cluster_col].strip()
            if not district:
                collector.add(line, district_col, "The district is blank.")
            if not cluster:
                collector.add(line, cluster_col, "The cluster is blank.")
            if len(district) > 120 or len(cluster) > 120:
                collector.add(line, cluster_col, "Names are limited to 120 characters.")
            code = row[code_col].strip() if code_col else ""
            if len(code) > 30:
                collector.add(line, code_col, "Cluster codes are limited to 30 characters.")
            district_code = row[district_code_col].strip() if district_code_col else ""
            if len(district_code) > 20:
                collector.add(
                    line, district_code_col, "District codes are limited to 20 characters."
                )
            if len(collector.errors) > before:
                continue
            urn = int(urn_raw)
            if urn in seen:
                collector.add(
                    line, urn_col, f"URN {urn} appears again (first on line {seen[urn]})."
                )
                continue
            seen[urn] = line
            if code:
                first = codes.setdefault(code, (district, cluster, line))
                if first[:2] != (district, cluster):
                    collector.add(
                        line,
                        code_col,
                        f"Cluster code '{code}' already names {first[1]} ({first[0]}) on line {first[2]}.",
                    )
                    continue
            result.rows.append(MappingRow(line, urn, district, cluster, code, district_code))
        result.errors = collector.errors
        return result


# --- yearly school statistics -----------------------------------------------------------

STATS_INT_FIELDS = (
    "number_on_roll",
    "fsm_pupils",
    "ehcp_pupils",
    "sen_support_pupils",
    "suspensions",
    "permanent_exclusions",
    "sen_joiners_no_move",
)
LA_TEMPLATE_COLUMNS = ("urn", "academic_year", *STATS_INT_FIELDS, "notional_sen_budget")
# The DfE's school-level SEN file has changed the name of its total column over the years.
SEN_TOTAL_COLUMNS = ("total_pupils", "headcount", "number_of_pupils", "pupils", "t_pupils", "total")
SEN_LAYOUT = "Special educational needs in England (school level)"
LA_LAYOUT = "LA template"


@dataclass
class StatsRow:
    line: int
    urn: int
    academic_year: int
    values: dict  # field → value, only for the figures the file gives
    columns: dict  # field → column name


@dataclass
class StatsFile:
    layout: str = ""
    rows: list[StatsRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_other_levels: int = 0


def parse_school_stats(
    data: Source, *, year: int | None = None, max_bytes: int | None = None
) -> StatsFile:
    """Read either the DfE's school-level SEN file or the LA template; ``year`` filters rows.

    Every problem of the file is collected in the one pass (up to ``MAX_ERRORS``).
    """
    result = StatsFile()
    collector = _Collector("statistics file")
    with _Table(data, collector, max_bytes=max_bytes) as table:
        cols = _columns_by_normal_name(table.header)
        if collector.errors:
            result.errors = collector.errors
            return result
        if "time period" in cols and "urn" in cols:
            result.layout = SEN_LAYOUT
            _parse_sen_layout(table, cols, collector, result, year)
        elif "urn" in cols and "academic year" in cols:
            result.layout = LA_LAYOUT
            _parse_la_template(table, cols, collector, result, year)
        else:
            collector.add(
                1,
                None,
                "Unrecognised layout: expected the DfE school-level SEN file (time_period, urn, "
                "ehc_plan, sen_support) or the LA template ("
                + ", ".join(LA_TEMPLATE_COLUMNS)
                + ").",
            )
        seen: dict[tuple[int, int], int] = {}
        for row in result.rows:
            key = (row.urn, row.academic_year)
            if key in seen:
                collector.add(
                    row.line,
                    row.columns.get("urn"),
                    f"URN {row.urn} for {row.academic_year} appears again (first on line {seen[key]}).",
                )
            seen.setdefault(key, row.line)
        result.errors = collector.errors
        return result


def _parse_urn(line: int, raw: str, column: str, collector: _Collector) -> int | None:
    raw = raw.strip()
    if not re.fullmatch(r"\d{5,7}", raw):
        collector.add(line, column, f"'{raw}' is not a URN (a number of 5 to 7 digits).")
        return None
    return int(raw)


def _parse_sen_layout(table, cols, collector, result: StatsFile, only: int | None) -> None:
    urn_col, period_col = cols["urn"], cols["time period"]
    level_col = cols.get("geographic level")
    total_col = next((cols[_normal(c)] for c in SEN_TOTAL_COLUMNS if _normal(c) in cols), None)
    counts = {"ehcp_pupils": cols.get("ehc plan"), "sen_support_pupils": cols.get("sen support")}
    if total_col:
        counts["number_on_roll"] = total_col
    for needed, column in (
        ("ehc_plan", counts["ehcp_pupils"]),
        ("sen_support", counts["sen_support_pupils"]),
    ):
        if column is None:
            collector.add(1, needed, "Required column is missing from the header.")
    if collector.errors:
        return
    for line, row in table:
        if level_col and row[level_col].strip().lower() != "school":
            result.skipped_other_levels += 1
            continue
        before = len(collector.errors)
        urn = _parse_urn(line, row[urn_col], urn_col, collector)
        period = row[period_col].strip()
        year, error = parse_academic_year(period)
        if error:
            collector.add(line, period_col, error)
        values, columns = {}, {"urn": urn_col}
        for field_name, column in counts.items():
            value, error = parse_int(row[column])
            if error:
                collector.add(line, column, error)
            elif value is not None:
                values[field_name] = value
                columns[field_name] = column
        if len(collector.errors) == before and (only is None or year == only):
            result.rows.append(StatsRow(line, urn, year, values, columns))


def _parse_la_template(table, cols, collector, result: StatsFile, only: int | None) -> None:
    urn_col, year_col = cols["urn"], cols["academic year"]
    present = {
        f: cols[_normal(f)]
        for f in (*STATS_INT_FIELDS, "notional_sen_budget")
        if _normal(f) in cols
    }
    if not present:
        collector.add(1, None, "The file has no figures: expected columns such as number_on_roll.")
        return
    for line, row in table:
        before = len(collector.errors)
        urn = _parse_urn(line, row[urn_col], urn_col, collector)
        year, error = parse_academic_year(row[year_col])
        if error:
            collector.add(line, year_col, error)
        values, columns = {}, {"urn": urn_col}
        for field_name, column in present.items():
            if field_name == "notional_sen_budget":
                value, error = parse_decimal(row[column], maximum=Decimal("9999999999.99"))
            else:
                value, error = parse_int(row[column])
            if error:
                collector.add(line, column, error)
            elif value is not None:
                values[field_name] = value
                columns[field_name] = column
        if len(collector.errors) == before and (only is None or year == only):
            result.rows.append(StatsRow(line, urn, year, values, columns))
