"""An LA officer loads yearly school figures: the DfE's SEN statistics or the LA's own template."""

from decimal import Decimal

import pytest

from clusters.models import SchoolYearStats
from tests.factories import SchoolFactory, SchoolYearStatsFactory

pytestmark = pytest.mark.django_db

SEN_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,new_la_code,old_la_code,la_name,urn,school_name,phase_type_grouping,"
    "type_of_establishment,total_pupils,ehc_plan,ehc_plan_percent,sen_support,sen_support_percent"
)


def sen_row(period, level, urn="", name="", total="", ehc="", support=""):
    return (
        f"{period},Academic year,{level},E92000001,England,E12000008,South East,E10000025,931,"
        f'Oxfordshire,{urn},"{name}",Primary,Community school,{total},{ehc},,{support},'
    )


def sen_file(*rows) -> bytes:
    return ("\r\n".join([SEN_HEADER, *rows]) + "\r\n").encode("utf-8")


@pytest.fixture
def schools(db):
    return [SchoolFactory(urn=110001), SchoolFactory(urn=110002), SchoolFactory(urn=110003)]


def test_the_dfe_school_level_sen_file_sets_roll_ehcp_and_sen_support(schools, write, run):
    data = sen_file(
        sen_row(202425, "National", total="9000000", ehc="434354", support="1238284"),
        sen_row(202425, "Local authority", total="100000", ehc="4000", support="13000"),
        sen_row(202425, "School", 110001, "St Mary’s CE Primary", 210, 6, 31),
        sen_row(202425, "School", 110002, "Banbury 2 Primary", 415, "c", 52),
        sen_row(202425, "School", 654321, "A school in Cumbria", 99, 1, 9),
    )

    result = run("import_school_stats", write(data))

    assert result.ok, result.err
    assert "Special educational needs in England (school level): 2 created, 0 updated" in result.out
    assert "Skipped 1 rows of schools not in the portal and 2 national" in result.out
    first = SchoolYearStats.objects.get(school__urn=110001)
    assert (
        first.academic_year,
        first.number_on_roll,
        first.ehcp_pupils,
        first.sen_support_pupils,
    ) == (
        2024,
        210,
        6,
        31,
    )
    # "c" (suppressed) is no figure, not zero taken as fact: the default stays.
    second = SchoolYearStats.objects.get(school__urn=110002)
    assert second.ehcp_pupils == 0 and second.sen_support_pupils == 52


def test_re_importing_updates_only_the_figures_the_file_gives(schools, write, run):
    SchoolYearStatsFactory(
        school=schools[0], academic_year=2024, number_on_roll=200, fsm_pupils=40, suspensions=7
    )

    result = run(
        "import_school_stats",
        write(sen_file(sen_row(202425, "School", 110001, "x", 250, 10, 30))),
    )

    assert result.ok, result.err
    assert "0 created, 1 updated" in result.out
    stats = SchoolYearStats.objects.get()
    assert (stats.number_on_roll, stats.ehcp_pupils, stats.sen_support_pupils) == (250, 10, 30)
    assert stats.suspensions == 7 and stats.fsm_pupils == 40
    assert stats.fsm_percent == Decimal("16.00")  # 40 of the new roll of 250


LA_TEMPLATE = (
    "URN,academic_year,number_on_roll,fsm_pupils,ehcp_pupils,sen_support_pupils,suspensions,"
    "permanent_exclusions,sen_joiners_no_move,notional_sen_budget\r\n"
)


def test_the_la_template_sets_every_figure(schools, write, run):
    data = LA_TEMPLATE + (
        "110001,2025/26,300,45,9,40,3,0,2,120000.50\r\n"
        '110002,2025-26,150,30,2,20,0,1,0,"£65,000"\r\n'
        "110003,2025,100,10,1,10,,,,\r\n"
    )

    result = run("import_school_stats", write(data.encode("cp1252")))

    assert result.ok, result.err
    assert "LA template: 3 created, 0 updated" in result.out
    stats = SchoolYearStats.objects.get(school__urn=110001)
    assert stats.academic_year == 2025
    assert stats.fsm_percent == Decimal("15.00")
    assert stats.sen_joiners_no_move == 2
    assert stats.notional_sen_budget == Decimal("120000.50")
    assert SchoolYearStats.objects.get(school__urn=110002).notional_sen_budget == Decimal(
        "65000.00"
    )


def test_the_year_option_imports_only_that_year(schools, write, run):
    data = (
        LA_TEMPLATE + "110001,2024/25,300,45,9,40,3,0,2,0\r\n110001,2025/26,310,45,9,40,3,0,2,0\r\n"
    )

    result = run("import_school_stats", write(data.encode()), "--year", "2025/26")

    assert result.ok, result.err
    assert list(SchoolYearStats.objects.values_list("academic_year", flat=True)) == [2025]


STATS_ERRORS = {
    "bad number": (
        LA_TEMPLATE + "110001,2025/26,three hundred,45,9,40,3,0,2,0\r\n",
        ["line 2, column 'number_on_roll': 'three hundred' is not a whole number"],
    ),
    "negative number": (
        LA_TEMPLATE + "110001,2025/26,300,-4,9,40,3,0,2,0\r\n",
        ["line 2, column 'fsm_pupils': -4 is below the minimum of 0"],
    ),
    "bad year": (
        LA_TEMPLATE + "110001,2025/27,300,45,9,40,3,0,2,0\r\n",
        ["line 2, column 'academic_year': '2025/27' is not an academic year"],
    ),
    "bad URN": (
        LA_TEMPLATE + "11-0001,2025/26,300,45,9,40,3,0,2,0\r\n",
        ["line 2, column 'URN': '11-0001' is not a URN"],
    ),
    "unknown school in the LA template": (
        LA_TEMPLATE
        + "110001,2025/26,300,45,9,40,3,0,2,0\r\n999999,2025/26,300,45,9,40,3,0,2,0\r\n",
        ["line 3, column 'URN': No school with URN 999999 in the portal"],
    ),
    "duplicate school and year": (
        LA_TEMPLATE + "110001,2025/26,300,45,9,40,3,0,2,0\r\n110001,2025,300,45,9,40,3,0,2,0\r\n",
        ["line 3, column 'URN': URN 110001 for 2025 appears again (first on line 2)"],
    ),
    "more EHCPs than pupils": (
        LA_TEMPLATE + "110001,2025/26,30,4,31,4,0,0,0,0\r\n",
        ["line 2, column 'ehcp_pupils': 31 pupils is more than the 30 on roll"],
    ),
    "bad money": (
        LA_TEMPLATE + "110001,2025/26,300,45,9,40,3,0,2,lots\r\n",
        ["line 2, column 'notional_sen_budget': 'lots' is not a number"],
    ),
    "bad time period": (
        SEN_HEADER + "\r\n" + sen_row("2024/2", "School", 110001, "x", 1, 1, 1) + "\r\n",
        ["line 2, column 'time_period'"],
    ),
    "unrecognised layout": ("School,Pupils\r\nA,1\r\n", ["line 1: Unrecognised layout"]),
    "missing SEN column": (
        "time_period,geographic_level,urn,total_pupils,sen_support\r\n202425,School,110001,1,1\r\n",
        ["line 1, column 'ehc_plan': Required column is missing"],
    ),
    "empty": ("", ["The file is empty"]),
}


@pytest.mark.parametrize("case", STATS_ERRORS, ids=list(STATS_ERRORS))
def test_a_malformed_statistics_file_is_refused_and_imports_nothing(case, schools, write, run):
    data, expected = STATS_ERRORS[case]

    result = run("import_school_stats", write(data.encode("utf-8")))

    assert not result.ok
    assert "nothing was imported" in result.error
    for message in expected:
        assert message in result.err, result.err
    assert SchoolYearStats.objects.count() == 0


def test_a_binary_statistics_file_is_refused(schools, write, run):
    result = run("import_school_stats", write(b"\x00\x01\x02" * 100))

    assert not result.ok and "not CSV text" in result.err
