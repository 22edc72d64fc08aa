"""The LA uploads its extract of EHC needs assessments, plans, placements and permanent
exclusions, keyed by UPN: hashed as it is read, checked against the portal's pupils, all
or nothing with line and column, and the file never kept."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from reports import escalation
from reports.models import EscalationImport, EscalationRecord
from tests.reports.impact_data import key, pupil, upn

HEADER = "UPN,Event,Date,End date\n"


@pytest.fixture
def pupils(small_county):
    a1 = small_county["schools"]["A1"]
    pupil(a1, 1, "approved", date(2025, 10, 20), "6000.00")
    pupil(a1, 2, "declined", date(2025, 11, 3))
    return small_county


def _csv(tmp_path, text: str):
    path = tmp_path / "extract.csv"
    path.write_text(HEADER + text)
    return path


@pytest.mark.usefixtures("pupils")
def test_a_good_extract_replaces_the_records_with_keys_never_upns(tmp_path, capsys):
    path = _csv(
        tmp_path,
        f"{upn(1)},EHC needs assessment requested,03-02-2026,\n"
        f"{upn(2).lower()},EHCP issued,10-03-2026,\n"
        f"{upn(2)},Specialist placement,01-04-2026,20-07-2026\n",
    )
    call_command("import_escalation", str(path))
    records = list(EscalationRecord.objects.order_by("on").values_list("pupil_key", "kind"))
    assert records == [
        (key(1), "ehcna_requested"),
        (key(2), "ehcp_issued"),
        (key(2), "specialist_placement"),
    ]
    assert "3 escalation records imported" in capsys.readouterr().out
    # Again with one line: it replaces, it does not add.
    call_command("import_escalation", str(_csv(tmp_path, f"{upn(1)},PEX,01-03-2026,\n")))
    assert list(EscalationRecord.objects.values_list("kind", flat=True)) == ["permanent_exclusion"]
    run = EscalationImport.objects.first()
    assert run.staged is None and run.records == 1


@pytest.mark.usefixtures("pupils")
def test_a_bad_extract_names_every_line_and_column_and_imports_nothing(tmp_path, capsys):
    call_command("import_escalation", str(_csv(tmp_path, f"{upn(1)},EHCP,01-03-2026,\n")))
    wrong_letter = "Z" + upn(1)[1:]
    path = _csv(
        tmp_path,
        f"{wrong_letter},EHCP issued,03-02-2026,\n"  # line 2: the check letter
        f"{upn(77)},EHCP issued,03-02-2026,\n"  # line 3: nobody in the portal
        f"{upn(1)},EHCP issued,03-02-2026,\n"
        f"{upn(1)},EHCP issued,03-02-2026,\n"  # line 5: repeats line 4
        f"{upn(2)},Specialist placement,01-09-2025,\n"  # line 6: before the decision
        f"{upn(2)},Home education,01-12-2025,\n"  # line 7: not an event
        f"{upn(2)},Specialist placement,01-12-2025,01-11-2025\n",  # line 8: ends before
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_escalation", str(path))
    err = capsys.readouterr().err
    assert "line 2, column 'UPN': This is not a valid UPN" in err
    assert "line 5: This row repeats line 4" in err
    assert "line 7, column 'Event'" in err and "line 8, column 'End date'" in err
    for n in (1, 2, 77):
        assert upn(n) not in err
    assert wrong_letter not in err
    # The format problems first; then the check against the portal, all at once.
    path = _csv(
        tmp_path,
        f"{upn(77)},EHCP issued,03-02-2026,\n{upn(2)},Specialist placement,01-09-2025,\n",
    )
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_escalation", str(path))
    err = capsys.readouterr().err
    assert "line 2, column 'UPN': No request in the portal has this UPN" in err
    assert (
        "line 3, column 'Date': The date (01-09-2025) is before the pupil's first decision" in err
    )
    # The earlier extract is untouched.
    assert list(EscalationRecord.objects.values_list("kind", flat=True)) == ["ehcp_issued"]


def test_la_officers_upload_on_the_page_and_the_worker_checks_it(
    pupils, send_officer, senco_a, monkeypatch, django_capture_on_commit_callbacks
):
    def login(user):
        client = Client()
        client.force_login(user)
        return client

    monkeypatch.setattr(escalation, "_enqueue", escalation.finish_import)
    assert login(senco_a).get("/reports/escalation/").status_code == 404
    client = login(send_officer)
    page = client.get("/reports/escalation/")
    assert page.status_code == 200 and "Upload and check" in page.text
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "extract.csv", (HEADER + f"{upn(1)},EHCP issued,03-02-2026,\n").encode(), "text/csv"
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/reports/escalation/", {"extract": upload})
    assert answer.status_code == 302
    run = EscalationImport.objects.get()
    shown = client.get(answer["Location"]).text
    assert "Extract imported" in shown and upn(1) not in shown
    assert run.records == 1
    bad = SimpleUploadedFile("extract.csv", (HEADER + "A1,EHCP,x,\n").encode(), "text/csv")
    refused = client.get(client.post("/reports/escalation/", {"extract": bad})["Location"])
    assert "nothing was imported" in refused.text and "dd-mm-yyyy" in refused.text
    not_csv = SimpleUploadedFile("extract.pdf", b"%PDF-1.4", "application/pdf")
    assert "must be a CSV file" in client.post("/reports/escalation/", {"extract": not_csv}).text


def test_the_api_takes_the_extract_for_la_officers_only(
    pupils, send_officer, senco_a, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    monkeypatch.setattr(escalation, "_enqueue", escalation.finish_import)
    api = APIClient()
    api.force_authenticate(senco_a)
    assert api.get("/api/v1/escalation-imports/").status_code == 404
    api.force_authenticate(send_officer)
    upload = SimpleUploadedFile(
        "x.csv", (HEADER + f"{upn(2)},AP placement,03-02-2026,\n").encode(), "text/csv"
    )
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post("/api/v1/escalation-imports/", {"extract": upload}, format="multipart")
    assert made.status_code == 202, made.data
    detail = api.get(f"/api/v1/escalation-imports/{made.data['id']}/")
    assert detail.data["status"] == "succeeded" and detail.data["records"] == 1
    assert upn(2) not in detail.content.decode()
