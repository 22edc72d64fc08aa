"""A national extract is read as a stream, within a stated size limit, in an honest encoding."""

import gc
import tracemalloc

import pytest

from clusters.importers import parse_gias
from clusters.models import School, SchoolYearStats
from tests.clusters.gias import county, mapping_rows, to_csv, write_national_extract
from tests.clusters.test_import_stats import LA_TEMPLATE
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools():
    return [SchoolFactory(urn=110001), SchoolFactory(urn=110002)]


def _utf8_with_a_stray_windows_byte():
    rows = county(other=0)
    data = to_csv(rows, "utf-8")
    assert "’".encode() in data  # the file really is UTF-8 with curly apostrophes
    lines = data.split(b"\r\n")
    # An officer pastes one name from a Windows program: its apostrophe is byte 0x92.
    lines[7] = lines[7].replace(b",", b",St Anne\x92s ", 1)
    return b"\r\n".join(lines), lines[7].index(b"\x92") + 1


def test_a_utf8_file_with_one_stray_windows_byte_is_refused_at_that_byte(write, run):
    data, byte = _utf8_with_a_stray_windows_byte()

    result = run("import_gias", write(data), "--la", "931")

    assert not result.ok and "nothing was imported" in result.error
    assert f"line 8: byte {byte} of the line" in result.err
    assert "0x92, is not UTF-8" in result.err
    assert "mixes two encodings" in result.err
    assert School.objects.count() == 0  # and so no "St Maryâ€™s" anywhere


def test_a_windows_1252_extract_throughout_still_imports(county_rows, write, run):
    result = run(
        "import_gias",
        write(to_csv(county_rows, "cp1252")),
        "--clusters",
        write(to_csv(mapping_rows(county_rows), "cp1252")),
    )

    assert result.ok, result.err
    assert School.objects.filter(name__contains="’").exists()
    assert not School.objects.filter(name__contains="â€").exists()


def test_a_byte_that_is_neither_utf8_nor_windows_1252_is_refused_at_that_byte(write, run):
    data = to_csv(county(other=0), "cp1252")
    first = data.index(b"\r\n") + 2
    data = data[:first] + b"\x81" + data[first:]

    result = run("import_gias", write(data), "--la", "931")

    assert not result.ok
    assert f"line 2: byte 1 of the line (byte {first + 1:,} of the file), 0x81" in result.err
    assert "neither UTF-8 nor Windows-1252" in result.err


def test_a_file_above_the_stated_limit_is_refused_unread(write, run, settings):
    settings.IMPORT_MAX_BYTES = 50_000
    data = to_csv(county(), "cp1252")
    assert len(data) > 50_000

    result = run("import_gias", write(data))

    assert not result.ok
    assert "imports are limited to 50,000 bytes (the IMPORT_MAX_BYTES setting)" in result.err
    assert School.objects.count() == 0


def test_the_statistics_import_reports_every_problem_in_one_pass(schools, write, run):
    # A malformed figure on one line and a school the portal does not know on another:
    # both are told at once, so the officer fixes the file in one go.
    data = (
        LA_TEMPLATE
        + "110001,2025/26,three hundred,45,9,40,3,0,2,0\r\n"
        + "999999,2025/26,300,45,9,40,3,0,2,0\r\n"
        + "110001,2024/25,30,4,31,4,0,0,0,0\r\n"
    )

    result = run("import_school_stats", write(data.encode()))

    assert "3 problem(s) found" in result.error
    assert "line 2, column 'number_on_roll'" in result.err
    assert "line 3, column 'URN': No school with URN 999999" in result.err
    assert "line 4, column 'ehcp_pupils': 31 pupils is more than the 30 on roll" in result.err
    assert SchoolYearStats.objects.count() == 0


def _peak_while_parsing(path) -> int:
    tracemalloc.start()
    try:
        with open(path, "rb") as handle:
            result = parse_gias(handle, "931")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.errors and len(result.records) == 248
    return peak


def test_memory_stays_bounded_however_large_the_national_extract(tmp_path):
    # Reading the file whole took 20 times its size (3 GB for 150 MB); streamed, the
    # peak is the county's 248 schools, whatever the size of the rest of England.
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    write_national_extract(small, 1_000_000)
    write_national_extract(large, 6_000_000)

    peak_small, peak_large = _peak_while_parsing(small), _peak_while_parsing(large)

    assert peak_large < 2_000_000, f"peak {peak_large:,} bytes for a 6 MB file"
    assert peak_large < peak_small * 1.5, (peak_small, peak_large)


def test_the_parser_reads_the_callers_file_and_leaves_it_open(tmp_path):
    path = tmp_path / "gias.csv"
    path.write_bytes(to_csv(county(other=0)))

    with open(path, "rb") as handle:
        result = parse_gias(handle, "931")
        gc.collect()  # a text wrapper collected here would close the file under us
        assert not handle.closed
    assert len(result.records) == 248


def test_a_file_with_more_problems_than_are_listed_says_so(write, run):
    rows = county(other=0)
    for row in rows:
        row["OpenDate"] = "soon"
        row["StatutoryLowAge"] = "young"
        row["StatutoryHighAge"] = "old"
        row["NumberOfPupils"] = "many"
        row["FSM"] = "some"

    result = run("import_gias", write(to_csv(rows)))

    assert "More than 1000 problem(s) found" in result.error
    assert "More problems than the 1,000 listed" in result.err
