"""An LA officer loads the county's schools from the DfE's GIAS download and a cluster mapping."""

from decimal import Decimal

import pytest

from clusters.models import Cluster, District, Phase, School, SchoolYearStats
from tests.clusters.gias import county, gias_row, mapping_rows, to_csv

pytestmark = pytest.mark.django_db

LA_ROWS = 248  # 220 open, 20 closed, 5 proposed to close, 3 proposed to open
OTHER_LA_ROWS = 60


def test_a_realistic_windows_1252_extract_loads_the_las_schools_and_their_clusters(
    import_county, county_rows
):
    result = import_county()

    assert result.ok, result.err
    assert "LA 931: 248 created, 0 updated, 0 unchanged, 20 closed" in result.out
    assert "60 rows of other LAs skipped" in result.out
    assert "5 districts and 15 clusters created" in result.out
    assert "Statistics for 2024: 225 created" in result.out
    assert "in no cluster" not in result.err

    assert School.objects.count() == LA_ROWS
    assert not School.objects.exclude(la_code="931").exists()
    assert School.objects.filter(is_open=False).count() == 20
    assert School.objects.filter(is_open=True, cluster__isnull=True).count() == 0
    assert District.objects.count() == 5
    assert Cluster.objects.count() == 15


def test_names_keep_their_curly_apostrophes_and_accents(import_county, county_rows):
    import_county()

    names = [r["EstablishmentName"] for r in county_rows if r["LA (code)"] == "931"]
    assert any("’" in n for n in names) and any("é" in n for n in names)
    for name in names:
        assert School.objects.filter(name=name).exists(), name


def test_a_utf8_file_with_a_bom_loads_the_same(import_county, county_rows):
    result = import_county(county_rows, "utf-8-sig")

    assert result.ok, result.err
    assert School.objects.count() == LA_ROWS
    assert School.objects.filter(name__contains="Thérèse").exists() == any(
        "Thérèse" in r["EstablishmentName"] for r in county_rows if r["LA (code)"] == "931"
    )


def test_each_school_gets_the_portals_phase_status_dates_and_figures(import_county, county_rows):
    import_county()
    by_urn = {r["URN"]: r for r in county_rows}

    def phases(**where):
        return set(School.objects.filter(**where).values_list("phase", flat=True))

    assert phases(establishment_type="Community special school") == {Phase.SPECIAL}
    assert phases(establishment_type="Academy special converter") == {Phase.SPECIAL}
    assert phases(gias_phase="Middle deemed primary") == {Phase.PRIMARY}
    assert phases(gias_phase="16 plus") == {Phase.POST_16}
    assert phases(gias_phase="All-through") == {Phase.ALL_THROUGH}
    assert phases(gias_phase="Nursery") == {Phase.NURSERY}

    closed = School.objects.filter(is_open=False).first()
    row = by_urn[str(closed.urn)]
    assert closed.status == "Closed"
    assert closed.close_date.strftime("%d-%m-%Y") == row["CloseDate"]
    assert closed.cluster is None  # closed schools need no cluster

    proposed = School.objects.filter(status="Open, but proposed to close").first()
    assert proposed.is_open

    school = School.objects.filter(is_open=True, gias_phase="Primary").first()
    row = by_urn[str(school.urn)]
    stats = SchoolYearStats.objects.get(school=school, academic_year=2024)
    assert stats.number_on_roll == int(row["NumberOfPupils"])
    assert stats.fsm_pupils == int(row["FSM"])
    assert stats.fsm_percent == Decimal(row["PercentageFSM"])
    assert stats.ehcp_pupils == int(row["SENStat"])
    assert stats.sen_support_pupils == int(row["SENNoStat"])
    assert school.statutory_low_age == 4 and school.la_name == "Oxfordshire"
    assert school.cluster.district.name == row["DistrictAdministrative (name)"]


def test_re_running_the_same_files_changes_nothing(import_county):
    import_county()
    ids = dict(School.objects.values_list("urn", "pk"))

    result = import_county()

    assert result.ok, result.err
    assert "0 created, 0 updated, 248 unchanged" in result.out
    assert "0 districts and 0 clusters created" in result.out
    assert "Statistics for 2024: 0 created, 225 updated" in result.out
    assert dict(School.objects.values_list("urn", "pk")) == ids
    assert SchoolYearStats.objects.count() == 225


def test_a_newer_extract_updates_schools_in_place(import_county, county_rows):
    import_county()
    open_rows = [
        r
        for r in county_rows
        if r["LA (code)"] == "931" and r["EstablishmentStatus (name)"] == "Open"
    ]
    renamed, closing = open_rows[0], open_rows[1]
    before = School.objects.get(urn=renamed["URN"])
    renamed["EstablishmentName"] = "Hook Norton Church of England Primary School"
    closing["EstablishmentStatus (name)"] = "Closed"
    closing["CloseDate"] = "31-08-2025"

    result = import_county()

    assert result.ok, result.err
    assert "0 created, 2 updated, 246 unchanged, 21 closed" in result.out
    after = School.objects.get(urn=renamed["URN"])
    assert after.pk == before.pk and after.name == "Hook Norton Church of England Primary School"
    assert not School.objects.get(urn=closing["URN"]).is_open


def test_a_new_mapping_moves_a_school_to_another_cluster(import_county, county_rows, write, run):
    import_county()
    school = School.objects.filter(cluster__isnull=False).first()
    target = Cluster.objects.exclude(pk=school.cluster_id).first()
    mapping = to_csv(
        [
            {
                "URN": school.urn,
                "District": target.district.name,
                "Cluster": target.name,
                "Cluster code": target.code,
            }
        ]
    )

    result = run("import_gias", write(to_csv(county_rows)), "--clusters", write(mapping))

    assert result.ok, result.err
    school.refresh_from_db()
    assert school.cluster == target


def test_open_schools_in_no_cluster_are_listed(county_rows, write, run):
    mapping = mapping_rows(county_rows)
    left_out = mapping.pop()

    result = run(
        "import_gias",
        write(to_csv(county_rows)),
        "--la",
        "931",
        "--clusters",
        write(to_csv(mapping)),
    )

    assert result.ok
    assert "1 open school(s) are in no cluster" in result.err
    assert left_out["URN"] in result.err
    assert School.objects.get(urn=left_out["URN"]).cluster is None


def test_without_a_mapping_every_open_school_is_reported_unmapped(county_rows, write, run):
    result = run("import_gias", write(to_csv(county_rows)), "--la", "931")

    assert result.ok
    assert "228 open school(s) are in no cluster" in result.err


def test_a_dry_run_writes_nothing(import_county):
    result = import_county(None, "cp1252", "--dry-run")

    assert result.ok, result.err
    assert "Dry run, nothing written. LA 931: 248 created" in result.out
    assert School.objects.count() == 0 and Cluster.objects.count() == 0


# --- malformed input: every problem reported by line and column, nothing imported ---------


def _small(n=4, seed=3):
    import random

    rng = random.Random(seed)
    return [gias_row(100001 + i, rng) for i in range(n)]


def _without(rows, column):
    return [{k: v for k, v in r.items() if k != column} for r in rows]


def _with(rows, index, **changes):
    rows = [dict(r) for r in rows]
    rows[index].update({k.replace("__", " "): v for k, v in changes.items()})
    return rows


def _set(rows, index, column, value):
    rows = [dict(r) for r in rows]
    rows[index][column] = value
    return rows


MALFORMED = {
    "missing required column": (
        lambda: to_csv(_without(_small(), "URN")),
        ["line 1, column 'URN': Required column is missing"],
    ),
    "bad URN": (
        lambda: to_csv(_set(_small(), 1, "URN", "12AB3")),
        ["line 3, column 'URN': '12AB3' is not a URN"],
    ),
    "bad number": (
        lambda: to_csv(_set(_small(), 2, "NumberOfPupils", "about 200")),
        ["line 4, column 'NumberOfPupils': 'about 200' is not a whole number"],
    ),
    "bad percentage": (
        lambda: to_csv(_set(_small(), 0, "PercentageFSM", "140.0")),
        ["line 2, column 'PercentageFSM': 140.0 is above the maximum of 100"],
    ),
    "bad date": (
        lambda: to_csv(_set(_small(), 3, "OpenDate", "2019-09-01")),
        ["line 5, column 'OpenDate': '2019-09-01' is not a date in the form dd-mm-yyyy"],
    ),
    "impossible date": (
        lambda: to_csv(_set(_small(), 0, "CloseDate", "31-02-2024")),
        ["line 2, column 'CloseDate': '31-02-2024' is not a date"],
    ),
    "duplicate URN": (
        lambda: to_csv(_set(_small(), 3, "URN", "100002")),
        ["line 5, column 'URN': URN 100002 appears again (first on line 3)"],
    ),
    "unknown status": (
        lambda: to_csv(_set(_small(), 0, "EstablishmentStatus (name)", "Mothballed")),
        ["line 2, column 'EstablishmentStatus (name)': Unknown status 'Mothballed'"],
    ),
    "blank name": (
        lambda: to_csv(_set(_small(), 1, "EstablishmentName", "  ")),
        ["line 3, column 'EstablishmentName': The establishment name is blank"],
    ),
    "too many cells": (
        lambda: to_csv(_small()) + b"100009," + b"x," * 200 + b"\r\n",
        ["line 6: The row has 202 cells but the header has 138"],
    ),
    "UTF-16": (
        lambda: to_csv(_small(), "utf-16"),
        ["not CSV text in UTF-8 or Windows-1252"],
    ),
    "binary": (
        lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        ["not CSV text in UTF-8 or Windows-1252"],
    ),
    "spreadsheet": (
        lambda: b"PK\x03\x04" + b"\x14\x00\x06\x00" + b"[Content_Types].xml",
        ["This is a spreadsheet, not a CSV file"],
    ),
    "empty file": (lambda: b"", ["The file is empty"]),
    "blank lines only": (lambda: b"\r\n\r\n", ["The file is empty"]),
    "header only": (
        lambda: to_csv(_small())[: to_csv(_small()).index(b"\r\n") + 2],
        ["The file has a header but no rows"],
    ),
    "no rows for the LA": (
        lambda: to_csv(_set(_small(1), 0, "LA (code)", "855")),
        ["column 'LA (code)': No rows for LA 931 in this file"],
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_gias_file_is_refused_with_each_problem_and_imports_nothing(case, write, run):
    make, expected = MALFORMED[case]

    result = run("import_gias", write(make()), "--la", "931")

    assert not result.ok
    assert "nothing was imported" in result.error
    for message in expected:
        assert message in result.err, result.err
    assert School.objects.count() == 0


def test_every_bad_line_is_reported_not_just_the_first(write, run):
    rows = _set(
        _set(_set(_small(6), 0, "URN", "x"), 2, "NumberOfPupils", "-"), 4, "OpenDate", "1/1"
    )

    result = run("import_gias", write(to_csv(rows)))

    assert "3 problem(s) found" in result.error
    assert "line 2, column 'URN'" in result.err
    assert "line 4, column 'NumberOfPupils'" in result.err
    assert "line 6, column 'OpenDate'" in result.err


def test_bad_rows_of_other_las_are_not_the_officers_problem(write, run):
    rows = _small()
    rows = _set(_set(rows, 0, "LA (code)", "855"), 0, "NumberOfPupils", "n/k!")

    result = run("import_gias", write(to_csv(rows)))

    assert result.ok, result.err
    assert School.objects.count() == 3


def test_a_bad_file_leaves_an_earlier_import_untouched(import_county, county_rows, write, run):
    import_county()
    before = list(School.objects.order_by("urn").values_list("urn", "name", "cluster_id"))
    rows = [dict(r) for r in county_rows]
    la_rows = [r for r in rows if r["LA (code)"] == "931"]
    la_rows[0]["EstablishmentName"] = "Renamed"
    la_rows[5]["SENStat"] = "lots"

    result = run("import_gias", write(to_csv(rows)), "--la", "931", "--year", "2024")

    assert not result.ok
    assert list(School.objects.order_by("urn").values_list("urn", "name", "cluster_id")) == before


def test_counts_above_the_roll_are_refused_when_importing_figures(write, run):
    rows = _set(_set(_small(), 1, "NumberOfPupils", "100"), 1, "SENNoStat", "101")

    result = run("import_gias", write(to_csv(rows)), "--year", "2025")

    assert not result.ok
    assert "line 3, column 'SENNoStat': 101 pupils is more than the 100 on roll" in result.err
    assert School.objects.count() == 0


# --- the cluster mapping --------------------------------------------------------------


def _mapping_case(rows, mapping_csv: bytes, write, run):
    return run("import_gias", write(to_csv(rows)), "--clusters", write(mapping_csv))


def test_a_mapping_row_for_an_unknown_school_is_refused(write, run):
    rows = _small()
    mapping = to_csv(
        [
            {"URN": "100001", "District": "Cherwell", "Cluster": "Banbury"},
            {"URN": "999999", "District": "Cherwell", "Cluster": "Banbury"},
        ]
    )

    result = _mapping_case(rows, mapping, write, run)

    assert not result.ok
    assert (
        "cluster mapping, line 3, column 'URN': URN 999999 is not a school of LA 931" in result.err
    )
    assert School.objects.count() == 0 and Cluster.objects.count() == 0


def test_problems_in_both_files_and_against_the_portal_are_told_at_once(write, run):
    rows = _set(_set(_small(), 1, "OpenDate", "1/1"), 2, "NumberOfPupils", "-")
    mapping = to_csv(
        [
            {"URN": "100002", "District": "Cherwell", "Cluster": "Banbury"},  # row with a problem
            {"URN": "999999", "District": "Cherwell", "Cluster": "Banbury"},
            {"URN": "100003", "District": "", "Cluster": "Banbury"},
        ]
    )

    result = _mapping_case(rows, mapping, write, run)

    assert "4 problem(s) found" in result.error, result.err
    assert "GIAS file, line 3, column 'OpenDate'" in result.err
    assert "GIAS file, line 4, column 'NumberOfPupils'" in result.err
    assert "cluster mapping, line 3, column 'URN': URN 999999 is not a school" in result.err
    assert "cluster mapping, line 4, column 'District': The district is blank" in result.err
    assert School.objects.count() == 0


MAPPING_ERRORS = {
    "missing column": (
        b"URN,District\r\n100001,Cherwell\r\n",
        "cluster mapping, line 1, column 'Cluster': Required column is missing",
    ),
    "bad URN": (
        b"URN,District,Cluster\r\nabc,Cherwell,Banbury\r\n",
        "cluster mapping, line 2, column 'URN': 'abc' is not a URN",
    ),
    "blank cluster": (
        b"URN,District,Cluster\r\n100001,Cherwell,\r\n",
        "cluster mapping, line 2, column 'Cluster': The cluster is blank",
    ),
    "duplicate URN": (
        b"URN,District,Cluster\r\n100001,Cherwell,Banbury\r\n100001,Cherwell,Bicester\r\n",
        "cluster mapping, line 3, column 'URN': URN 100001 appears again (first on line 2)",
    ),
    "one code, two clusters": (
        b"URN,District,Cluster,Cluster code\r\n100001,Cherwell,Banbury,CH1\r\n"
        b"100002,Cherwell,Bicester,CH1\r\n",
        "cluster mapping, line 3, column 'Cluster code': Cluster code 'CH1' already names Banbury",
    ),
    "empty": (b"", "cluster mapping: The file is empty"),
}


@pytest.mark.parametrize("case", MAPPING_ERRORS, ids=list(MAPPING_ERRORS))
def test_a_malformed_mapping_is_refused(case, write, run):
    data, message = MAPPING_ERRORS[case]

    result = _mapping_case(_small(), data, write, run)

    assert not result.ok
    assert message in result.err, result.err
    assert School.objects.count() == 0 and Cluster.objects.count() == 0


def test_mapping_columns_are_matched_loosely_and_codes_are_made_when_missing(write, run):
    mapping = (
        "urn,district,cluster\r\n100001,Cherwell,Banbury Town\r\n100002,Cherwell,Banbury Town\r\n"
    )

    result = _mapping_case(_small(), mapping.encode(), write, run)

    assert result.ok, result.err
    cluster = Cluster.objects.get()
    assert cluster.code and cluster.district.name == "Cherwell"
    assert cluster.schools.count() == 2


def test_a_cluster_can_be_renamed_by_its_code(write, run):
    first = b"URN,District,Cluster,Cluster code\r\n100001,Cherwell,Banbury,CH1\r\n"
    _mapping_case(_small(), first, write, run)
    second = b"URN,District,Cluster,Cluster code\r\n100001,Cherwell,Banbury and Bloxham,CH1\r\n"

    result = _mapping_case(_small(), second, write, run)

    assert result.ok, result.err
    assert list(Cluster.objects.values_list("code", "name")) == [("CH1", "Banbury and Bloxham")]


def test_the_year_must_be_an_academic_year(write, run):
    result = run("import_gias", write(to_csv(_small())), "--year", "twenty")

    assert not result.ok and "--year" in result.error


def test_a_missing_file_is_a_clear_error(run, tmp_path):
    result = run("import_gias", str(tmp_path / "nope.csv"))

    assert not result.ok and "Cannot read" in result.error


def test_the_generated_extract_has_the_real_gias_layout():
    rows = county(seed=9)
    assert len(rows[0]) == 138
    assert len(rows) == LA_ROWS + OTHER_LA_ROWS
