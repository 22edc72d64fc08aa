"""The LA SEND officer imports GIAS by upload: the portal checks the file with the same
parsers as the command, shows what it would change, and changes nothing until it is
applied; a bad file names every line and column and changes nothing."""

import random
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clusters import uploads
from clusters.models import Cluster, ImportStatus, School, SchoolImport
from tests.clusters.gias import county, gias_row, mapping_rows, to_csv

pytestmark = pytest.mark.django_db


def csv_file(data: bytes, name: str = "edubase.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(client, rows, mapping=None, **extra):
    data = {"extract": csv_file(to_csv(rows)), **extra}
    if mapping is not None:
        data["mapping"] = csv_file(to_csv(mapping), "clusters.csv")
    return client.post(reverse("clusters:import_gias"), data)


def stored_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def officer_client(client, send_officer):
    client.force_login(send_officer)
    return client


def test_the_preview_of_a_first_import_counts_what_the_file_holds_and_changes_nothing(
    officer_client, settings
):
    rows = county()
    ours = [r for r in rows if r["LA (code)"] == "931"]

    response = upload(officer_client, rows, mapping_rows(rows), year="2024/25")

    run = SchoolImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "clusters:import", args=[run.pk]
    )
    assert run.status == ImportStatus.PREVIEW
    counts = run.preview["counts"]
    assert counts["new"] == len(ours) == 248
    assert counts["closed"] == sum(r["EstablishmentStatus (name)"] == "Closed" for r in ours)
    assert counts["updated"] == 0 and counts["unmapped"] == 0
    assert counts["skipped_other_la"] == 60
    assert counts["clusters_created"] == 15 and counts["districts_created"] == 5
    page = officer_client.get(response["Location"]).content.decode()
    assert "Check what the GIAS extract will change" in page
    assert "New schools: 248" in page and "Showing the first 100 of 248" in page
    assert "Closed schools: 20" in page and "Open schools in no cluster: 0" in page
    # Nothing imported; the file kept (privately) until it is applied or discarded.
    assert not School.objects.exists() and not Cluster.objects.exists()
    assert len(stored_files(settings)) == 2


def test_a_second_import_previews_new_updated_closed_and_unmapped_schools(
    officer_client, run, write
):
    rows = county()
    assert run(
        "import_gias", write(to_csv(rows)), "--clusters", write(to_csv(mapping_rows(rows)))
    ).ok
    ours = [
        r for r in rows if r["LA (code)"] == "931" and r["EstablishmentStatus (name)"] == "Open"
    ]
    renamed, closing = ours[0], ours[1]
    old_name = renamed["EstablishmentName"]
    renamed["EstablishmentName"] = "Renamed Primary School"
    closing["EstablishmentStatus (name)"] = "Closed"
    closing["CloseDate"] = "31-08-2025"
    newcomer = gias_row(999001, random.Random(5))
    rows.append(newcomer)

    upload(officer_client, rows)  # no mapping: the new school is in no cluster

    preview = SchoolImport.objects.get().preview
    assert (preview["counts"]["new"], preview["counts"]["closed"]) == (1, 1)
    assert preview["counts"]["updated"] == 2
    assert preview["counts"]["unmapped"] == 1
    assert preview["new"] == [
        {"urn": 999001, "name": newcomer["EstablishmentName"], "cluster": "(no cluster)"}
    ]
    changes = {
        u["urn"]: {c["field"]: (c["before"], c["after"]) for c in u["changes"]}
        for u in preview["updated"]
    }
    assert changes[int(renamed["URN"])] == {"Name": (old_name, "Renamed Primary School")}
    assert changes[int(closing["URN"])]["Status"] == ("Open", "Closed")
    assert changes[int(closing["URN"])]["Close date"] == ("(blank)", "31-08-2025")
    assert preview["closed"] == [{"urn": int(closing["URN"]), "name": closing["EstablishmentName"]}]
    assert preview["unmapped"] == [{"urn": 999001, "name": newcomer["EstablishmentName"]}]
    assert School.objects.get(urn=renamed["URN"]).name != "Renamed Primary School"
    assert not School.objects.filter(urn=999001).exists()


# --- bad input: every problem by line and column, nothing created, nothing kept ---------


def test_a_file_that_is_not_a_csv_is_refused_in_plain_english(officer_client, settings):
    response = officer_client.post(
        reverse("clusters:import_gias"), {"extract": csv_file(b"PK\x03\x04 xlsx", "schools.xlsx")}
    )
    assert response.status_code == 400
    assert "The GIAS extract must be a CSV file (ending .csv)" in response.content.decode()

    # A spreadsheet saved with a .csv name: the parser says what it is.
    response = officer_client.post(
        reverse("clusters:import_gias"), {"extract": csv_file(b"PK\x03\x04 binary", "schools.csv")}
    )
    run = SchoolImport.objects.get()
    assert run.status == ImportStatus.REJECTED
    assert run.errors[0]["message"] == "This is a spreadsheet, not a CSV file: save it as CSV."
    page = officer_client.get(response["Location"]).content.decode()
    assert "1 problem found: nothing was imported" in page
    assert not School.objects.exists() and not stored_files(settings)


def test_a_file_too_big_for_imports_is_refused_before_it_is_read(officer_client, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(officer_client, county())
    assert response.status_code == 400
    assert "the limit is 1,000 bytes. Filter it to the LA" in response.content.decode()
    assert not SchoolImport.objects.exists()


def test_a_missing_column_and_a_bad_urn_are_named_by_line_and_column(officer_client, settings):
    rows = county()
    columns = [c for c in rows[0] if c != "PhaseOfEducation (name)"]
    officer_client.post(
        reverse("clusters:import_gias"), {"extract": csv_file(to_csv(rows, columns=columns))}
    )
    run = SchoolImport.objects.get()
    assert run.errors == [
        {
            "line": 1,
            "column": "PhaseOfEducation (name)",
            "message": "Required column is missing from the header.",
            "source": "GIAS file",
        }
    ]

    rows = county()
    at = next(i for i, r in enumerate(rows) if r["LA (code)"] == "931")
    rows[at]["URN"] = "12AB"
    rows[at + 3]["OpenDate"] = "31-02-2020"
    response = upload(officer_client, rows)
    run = SchoolImport.objects.order_by("-pk").first()
    problems = {(e["line"], e["column"]) for e in run.errors}
    # Line 1 is the header: the row at index i is line i + 2.
    assert (at + 2, "URN") in problems
    page = officer_client.get(response["Location"]).content.decode()
    assert "&#x27;12AB&#x27; is not a URN (a number of 5 to 7 digits)." in page
    assert f'<td class="govuk-table__cell">{at + 2}</td>' in page
    assert not School.objects.exists() and not Cluster.objects.exists()
    assert not stored_files(settings) and not run.file


def test_a_mapping_naming_a_school_nobody_knows_is_refused_with_its_line(officer_client):
    rows = county()
    mapping = mapping_rows(rows)
    mapping[4]["URN"] = "777777"
    upload(officer_client, rows, mapping)
    run = SchoolImport.objects.get()
    assert run.status == ImportStatus.REJECTED
    assert run.errors == [
        {
            "line": 6,
            "column": "URN",
            "message": "URN 777777 is not a school of LA 931 in the GIAS file or the portal.",
            "source": "cluster mapping",
        }
    ]


# --- apply, stale previews, discard -----------------------------------------------------


def test_applying_imports_what_the_preview_said_and_forgets_the_file(
    officer_client, send_officer, settings, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(uploads, "_enqueue", queued.append)
    rows = county()
    upload(officer_client, rows, mapping_rows(rows))
    run = SchoolImport.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(reverse("clusters:import_apply", args=[run.pk]))
    assert response.status_code == 302 and queued == [run.pk]
    run.refresh_from_db()
    assert run.status == ImportStatus.QUEUED and run.applied_by == send_officer
    assert not School.objects.exists()

    uploads.apply_import(run.pk)  # the worker's part, here in the test process

    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED
    assert run.rows_done == run.rows_total == len(rows)
    assert run.result["created"] == run.preview["counts"]["new"] == School.objects.count()
    assert Cluster.objects.count() == 15
    assert not run.file and not run.mapping_file and not stored_files(settings)
    page = officer_client.get(reverse("clusters:import", args=[run.pk])).content.decode()
    assert "GIAS extract imported" in page and "248 schools added, 0 updated" in page
    # Applied once only: a second apply is refused.
    again = officer_client.post(reverse("clusters:import_apply", args=[run.pk]))
    assert again.status_code == 409 and "cannot be applied" in again.content.decode()


def test_a_preview_made_before_another_import_was_applied_is_refused(officer_client, monkeypatch):
    monkeypatch.setattr(uploads, "_enqueue", lambda pk: None)
    rows = county()
    upload(officer_client, rows, mapping_rows(rows))
    first = SchoolImport.objects.get()
    rows[0]["EstablishmentName"] = "Another Name School"
    upload(officer_client, rows, mapping_rows(rows))
    second = SchoolImport.objects.exclude(pk=first.pk).get()
    officer_client.post(reverse("clusters:import_apply", args=[second.pk]))
    uploads.apply_import(second.pk)

    response = officer_client.post(reverse("clusters:import_apply", args=[first.pk]))

    assert response.status_code == 409
    assert "have changed since this preview was made" in response.content.decode()
    first.refresh_from_db()
    assert first.status == ImportStatus.PREVIEW


def test_the_worker_refuses_a_preview_gone_stale_while_it_waited(officer_client, monkeypatch):
    monkeypatch.setattr(uploads, "_enqueue", lambda pk: None)
    rows = county()
    upload(officer_client, rows, mapping_rows(rows))
    run = SchoolImport.objects.get()
    officer_client.post(reverse("clusters:import_apply", args=[run.pk]))
    School.objects.create(urn=int(rows[0]["URN"]), name="Made meanwhile", la_code="931")

    uploads.apply_import(run.pk)

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and "changed since this preview" in run.message
    assert list(School.objects.values_list("name", flat=True)) == ["Made meanwhile"]
    assert not run.file


def test_discarding_a_preview_deletes_its_files_and_imports_nothing(officer_client, settings):
    rows = county()
    upload(officer_client, rows, mapping_rows(rows))
    run = SchoolImport.objects.get()
    assert stored_files(settings)

    response = officer_client.post(reverse("clusters:import_discard", args=[run.pk]))

    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportStatus.DISCARDED and not stored_files(settings)
    assert not School.objects.exists()
    assert officer_client.post(reverse("clusters:import_apply", args=[run.pk])).status_code == 409


def test_uploads_and_applies_are_in_the_audit_trail(officer_client, send_officer, monkeypatch):
    from auditlog.models import LogEntry

    monkeypatch.setattr(uploads, "_enqueue", lambda pk: None)
    rows = county()
    upload(officer_client, rows)
    run = SchoolImport.objects.get()
    officer_client.post(reverse("clusters:import_apply", args=[run.pk]))

    entries = LogEntry.objects.get_for_object(run).order_by("timestamp")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert all(e.actor == send_officer for e in entries)
    assert entries[1].changes_dict["status"] == ["preview", "queued"]


def test_only_the_la_send_officer_may_import(client, finance_officer, head_a):
    for user in (finance_officer, head_a):
        client.force_login(user)
        assert client.get(reverse("clusters:import_gias")).status_code == 404
        assert client.get(reverse("clusters:import_stats")).status_code == 404
        assert client.get("/api/v1/school-imports/").status_code == 404


# --- the API ----------------------------------------------------------------------------


def test_the_api_previews_applies_and_reports_progress(
    officer_client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(uploads, "_enqueue", lambda pk: None)
    rows = county()
    created = officer_client.post(
        "/api/v1/school-imports/",
        {
            "kind": "gias",
            "file": csv_file(to_csv(rows)),
            "mapping": csv_file(to_csv(mapping_rows(rows)), "map.csv"),
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "preview" and body["preview"]["counts"]["new"] == 248

    applied = officer_client.post(f"/api/v1/school-imports/{body['id']}/apply/")
    assert applied.status_code == 202 and applied.json()["status"] == "queued"
    uploads.apply_import(body["id"])
    polled = officer_client.get(f"/api/v1/school-imports/{body['id']}/").json()
    assert polled["status"] == "succeeded" and polled["progress"] == 100
    assert polled["rows_done"] == polled["rows_total"] == len(rows)
    assert polled["result"]["created"] == 248

    again = officer_client.post(f"/api/v1/school-imports/{body['id']}/apply/")
    assert again.status_code == 409 and "cannot be applied" in again.json()["detail"]


def test_the_api_refuses_bad_files_with_line_and_column(officer_client):
    not_csv = officer_client.post(
        "/api/v1/school-imports/", {"kind": "gias", "file": csv_file(b"x", "a.xlsx")}
    )
    assert not_csv.status_code == 400
    assert "must be a CSV file" in str(not_csv.json())

    rows = county()
    at = next(i for i, r in enumerate(rows) if r["LA (code)"] == "931")
    rows[at]["URN"] = "12AB"
    bad = officer_client.post(
        "/api/v1/school-imports/", {"kind": "gias", "file": csv_file(to_csv(rows))}
    ).json()
    assert bad["status"] == "rejected"
    assert {"line": at + 2, "column": "URN"}.items() <= bad["errors"][0].items()
    assert not School.objects.exists()


def test_a_preview_left_unapplied_is_discarded_after_the_days_kept_and_its_file_deleted(
    officer_client, settings
):
    from datetime import timedelta

    from django.utils import timezone

    settings.IMPORT_PREVIEW_DAYS = 7
    rows = county()
    upload(officer_client, rows)
    upload(officer_client, rows)
    old, recent = SchoolImport.objects.order_by("pk")
    SchoolImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))

    assert uploads.discard_old_previews() == [old.pk]

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == ImportStatus.DISCARDED and not old.file
    assert recent.status == ImportStatus.PREVIEW and recent.file
    assert [p.name for p in stored_files(settings)] == [Path(recent.file.name).name]
