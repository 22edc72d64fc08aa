"""Whatever an officer uploads, the parsers answer with rows or problems, never a crash."""

from hypothesis import given, settings
from hypothesis import strategies as st

from clusters.importers import (
    parse_academic_year,
    parse_cluster_mapping,
    parse_gias,
    parse_school_stats,
)
from tests.clusters.gias import GIAS_COLUMNS

HEADER = ",".join(f'"{c}"' for c in GIAS_COLUMNS).encode() + b"\r\n"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_rows_or_problems(data):
    gias = parse_gias(data, "931")
    assert gias.errors or gias.records or gias.skipped_other_la
    for result in (parse_cluster_mapping(data), parse_school_stats(data)):
        assert result.errors or result.rows or getattr(result, "skipped_other_levels", 0)


def test_a_file_that_starts_with_a_blank_line_is_refused_at_line_1():
    for parse in (lambda d: parse_gias(d, "931"), parse_cluster_mapping, parse_school_stats):
        errors = parse(b"\n" + HEADER).errors
        assert errors and errors[0].line == 1 and "blank" in errors[0].message


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=0, max_size=len(GIAS_COLUMNS) + 3))
def test_any_gias_row_is_either_kept_or_reported(cells):
    line = ",".join('"' + c.replace('"', '""') + '"' for c in cells).encode("utf-8") + b"\r\n"

    result = parse_gias(HEADER + line, "931")

    kept = len(result.records) + result.skipped_other_la
    assert kept == 1 or result.errors


@given(st.integers(min_value=1990, max_value=2100))
def test_every_way_of_writing_a_year_means_the_same(year):
    short = f"{(year + 1) % 100:02d}"
    for text in (str(year), f"{year}/{short}", f"{year}-{short}", f"{year}{short}"):
        assert parse_academic_year(text) == (year, None)
