"""The LA SEND officer imports the schools' statistics by upload: the preview names the
schools with new or changed figures and the URNs the portal does not know, nothing
changes until it is applied, and a bad file names its line and column."""

import pytest
from django.urls import reverse

from clusters import uploads
from clusters.models import ImportStatus, SchoolImport, SchoolYearStats
from tests.clusters.test_import_stats import sen_file, sen_row
from tests.clusters.test_import_upload import csv_file, stored_files
from tests.factories import SchoolFactory, SchoolYearStatsFactory

pytestmark = pytest.mark.django_db

TEMPLATE = "urn,academic_year,number_on_roll,fsm_pupils,ehcp_pupils,sen_support_pupils\r\n"


@pytest.fixture
def schools(db):
    return [
        SchoolFactory(urn=110001, name="Ashgrove Primary"),
        SchoolFactory(urn=110002, name="Banbury 2 Primary"),
        SchoolFactory(urn=110003, name="Cropredy Primary"),
    ]


@pytest.fixture
def officer(client, send_officer, monkeypatch):
    monkeypatch.setattr(uploads, "_enqueue", lambda pk: None)
    client.force_login(send_officer)
    return client


def upload(client, data: bytes, **extra):
    return client.post(
        reverse("clusters:import_stats"), {"statistics": csv_file(data, "sen.csv"), **extra}
    )


def test_the_preview_names_new_and_changed_figures_and_unknown_urns(officer, schools, settings):
    SchoolYearStatsFactory(
        school=schools[1], academic_year=2024, number_on_roll=400, ehcp_pupils=5,
        sen_support_pupils=52, fsm_pupils=60, fsm_percent="15.00",
    )  # fmt: skip
    SchoolYearStatsFactory(
        school=schools[2], academic_year=2024, number_on_roll=300, ehcp_pupils=3,
        sen_support_pupils=20, fsm_pupils=30, fsm_percent="10.00",
    )  # fmt: skip
    data = sen_file(
        sen_row(202425, "National", total="9000000", ehc="434354", support="1238284"),
        sen_row(202425, "School", 110001, "Ashgrove Primary", 210, 6, 31),  # new
        sen_row(202425, "School", 110002, "Banbury 2 Primary", 415, 5, 52),  # roll changes
        sen_row(202425, "School", 110003, "Cropredy Primary", 300, 3, 20),  # as it is
        sen_row(202425, "School", 654321, "A school in Cumbria", 99, 1, 9),  # unknown
        sen_row(202324, "School", 110001, "Ashgrove Primary", 200, 5, 30),  # another year
    )

    response = upload(officer, data, year="2024/25")

    run = SchoolImport.objects.get()
    assert run.status == ImportStatus.PREVIEW
    assert run.preview["counts"] == {
        "new": 1, "changed": 1, "unchanged": 1, "unknown": 1, "skipped_other_levels": 1,
    }  # fmt: skip
    assert run.preview["new"] == [{"urn": 110001, "name": "Ashgrove Primary", "year": "2024/25"}]
    assert run.preview["changed"] == [
        {
            "urn": 110002,
            "name": "Banbury 2 Primary",
            "year": "2024/25",
            "changes": [
                {"field": "Number on roll", "before": "400", "after": "415"},
                # The FSM share follows the roll: 60 of 415.
                {"field": "FSM %", "before": "15.00", "after": "14.46"},
            ],
        }
    ]
    assert run.preview["unknown"] == [{"line": 6, "urn": 654321}]
    page = officer.get(response["Location"]).content.decode()
    assert "Check what the statistics file will change" in page
    assert "Schools with new figures: 1" in page and "URNs not known (skipped): 1" in page
    assert "Number on roll: 400 → 415" in page
    assert SchoolYearStats.objects.count() == 2 and stored_files(settings)

    officer.post(reverse("clusters:import_apply", args=[run.pk]))
    uploads.apply_import(run.pk)

    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED and run.result["created"] == 1
    assert SchoolYearStats.objects.get(school=schools[1], academic_year=2024).number_on_roll == 415
    assert not SchoolYearStats.objects.filter(academic_year=2023).exists()  # the year chosen
    assert not stored_files(settings)
    page = officer.get(reverse("clusters:import", args=[run.pk])).content.decode()
    assert "Statistics file imported" in page and "1 new set of figures, 2 updated" in page


def test_without_a_year_every_year_in_the_file_is_previewed(officer, schools):
    upload(
        officer,
        (TEMPLATE + "110001,2024/25,200,20,2,30\r\n110001,2025/26,210,21,3,31\r\n").encode(),
    )
    run = SchoolImport.objects.get()
    assert run.preview["years"] == ["2024/25", "2025/26"]
    assert run.preview["counts"]["new"] == 2


def test_a_bad_figure_and_an_unknown_urn_in_the_la_template_are_named_by_line_and_column(
    officer, schools, settings
):
    data = TEMPLATE + "110001,2024/25,200,20,2,30\r\n110002,2024/25,2x0,20,2,30\r\n"
    data += "999999,2024/25,100,10,1,5\r\n110003,2024/25,100,10,1,500\r\n"

    response = upload(officer, data.encode())

    run = SchoolImport.objects.get()
    assert run.status == ImportStatus.REJECTED
    found = {(e["line"], e["column"]): e["message"] for e in run.errors}
    assert found[(3, "number_on_roll")] == "'2x0' is not a whole number."
    assert found[(4, "urn")] == "No school with URN 999999 in the portal: import GIAS first."
    assert found[(5, "sen_support_pupils")] == "500 pupils is more than the 100 on roll."
    page = officer.get(response["Location"]).content.decode()
    assert "3 problems found: nothing was imported" in page
    assert not SchoolYearStats.objects.exists() and not stored_files(settings)


def test_a_file_with_no_rows_for_the_year_chosen_says_so(officer, schools):
    upload(officer, (TEMPLATE + "110001,2024/25,200,20,2,30\r\n").encode(), year="2019/20")
    run = SchoolImport.objects.get()
    assert run.errors[0]["message"] == "The file has no school rows for 2019/20."


def test_a_year_that_is_not_a_year_is_refused_on_the_form(officer, schools):
    response = upload(officer, (TEMPLATE + "110001,2024/25,200,20,2,30\r\n").encode(), year="next")
    assert response.status_code == 400
    assert "is not an academic year such as 2025/26" in response.content.decode()
    assert not SchoolImport.objects.exists()


def test_the_api_previews_a_statistics_file(officer, schools):
    created = officer.post(
        "/api/v1/school-imports/",
        {"kind": "stats", "file": csv_file((TEMPLATE + "110001,2024/25,200,20,2,30\r\n").encode())},
    )
    assert created.status_code == 201
    assert created.json()["preview"]["counts"]["new"] == 1
    mapping = officer.post(
        "/api/v1/school-imports/",
        {"kind": "stats", "file": csv_file(b"urn\r\n"), "mapping": csv_file(b"URN\r\n")},
    )
    assert mapping.status_code == 400
    assert "Only a GIAS import takes a cluster mapping" in str(mapping.json())


def test_the_officers_dashboard_links_to_both_imports_and_the_finance_officers_does_not(
    client, send_officer, finance_officer, schools
):
    client.force_login(send_officer)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("clusters:import_gias") in page and reverse("clusters:import_stats") in page
    client.force_login(finance_officer)
    assert reverse("clusters:import_gias") not in client.get(reverse("dashboard")).content.decode()
