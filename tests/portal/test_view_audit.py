"""The data-protection officer searches the view audit (who opened which request,
document or export, when) and exports it; the export is audited too."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clusters.models import Role
from portal.models import ViewAudit
from tests.factories import SchoolFactory, make_user
from tests.funding.factories import stored_document, submitted_request

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def story():
    """A SENCO opens her request and downloads its plan; an LA officer exports the
    county's requests; a data-protection officer is there to look."""
    school = SchoolFactory(name="Ashfield Primary")
    senco = make_user(Role.SENCO, school=school, username="sam.senco", first_name="Sam")
    officer = make_user(Role.LA_SEND_OFFICER, username="olu.officer", first_name="Olu")
    dpo = make_user(Role.DPO, username="dee.dpo", first_name="Dee", last_name="Protheroe")
    fr = submitted_request(senco)
    other = submitted_request(senco)
    document = stored_document(fr, senco)
    as_senco = signed_in(senco)
    assert as_senco.get(reverse("funding:detail", args=[fr.pk])).status_code == 200
    assert as_senco.get(reverse("funding:detail", args=[other.pk])).status_code == 200
    download = as_senco.get(reverse("funding:download", args=[fr.pk, document.pk]))
    assert download.status_code == 200
    b"".join(download.streaming_content)
    exported = signed_in(officer).get(reverse("funding:export"))
    b"".join(exported.streaming_content)
    return {"fr": fr, "other": other, "senco": senco, "officer": officer, "dpo": dpo}


def rows_on(response) -> list[str]:
    html = response.content.decode()
    return html.split('data-testid="audit-row"')[1:]


def test_the_dpo_finds_who_opened_a_request_and_when(story):
    dpo = signed_in(story["dpo"])
    page = dpo.get(reverse("view_audit"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>View audit" in html
    assert len(rows_on(page)) == ViewAudit.objects.count() == 4
    # By person: Sam's three reads, not Olu's export.
    sam = dpo.get(reverse("view_audit"), {"person": "sam"})
    assert len(rows_on(sam)) == 3 and "olu.officer" not in sam.content.decode()
    # By request: the request itself and its document's download, not the other request.
    ref = story["fr"].reference
    found = dpo.get(reverse("view_audit"), {"reference": ref.lower()})
    actions = [row for row in rows_on(found)]
    assert len(actions) == 2
    assert any("Opened a request" in a and f"Request {ref}" in a for a in actions)
    assert any("Downloaded a document" in a for a in actions)
    # By what they did, and by dates.
    exports = dpo.get(reverse("view_audit"), {"action": "export"})
    assert len(rows_on(exports)) == 1 and "olu.officer" in exports.content.decode()
    today = timezone.localdate()
    assert len(rows_on(dpo.get(reverse("view_audit"), {"from": today, "to": today}))) == 4
    yesterday = (today - timedelta(days=1)).isoformat()
    empty = dpo.get(reverse("view_audit"), {"to": yesterday})
    assert rows_on(empty) == [] and "Nothing matches." in empty.content.decode()
    # Nothing of what the requests hold reaches the page: references, never pupils.
    assert story["fr"].pupil_initials not in [w.strip("<>()") for w in html.split()]
    assert story["fr"].outcomes_sought not in html


def test_a_date_that_is_not_one_is_said_plainly(story):
    page = signed_in(story["dpo"]).get(reverse("view_audit"), {"from": "31-02-2026"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "<title>Error: View audit" in html and "There is a problem" in html
    assert "Enter the “from” date as a real date, like 2026-12-07" in html
    backwards = signed_in(story["dpo"]).get(
        reverse("view_audit"), {"from": "2026-12-07", "to": "2026-12-01"}
    )
    assert (
        "The “to” date must be the same as or after the “from” date" in backwards.content.decode()
    )


def test_the_audit_pages_cost_the_same_queries_at_any_size(story, django_assert_max_num_queries):
    dpo = signed_in(story["dpo"])
    url = reverse("view_audit")

    def queries(params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert dpo.get(url, params).status_code == 200
        return len(ctx)

    few = queries({"reference": story["fr"].reference})
    ViewAudit.objects.bulk_create(
        ViewAudit(
            user=story["senco"],
            action="view",
            object_type="funding.FundingRequest",
            object_id=str(story["fr"].pk if n % 2 else story["other"].pk),
        )
        for n in range(300)
    )
    assert queries({"reference": story["fr"].reference}) == few
    with django_assert_max_num_queries(few):
        page = dpo.get(url, {"reference": story["fr"].reference, "page": 2})
    assert len(rows_on(page)) == 50 and "Page 2 of 4" in page.content.decode()


def test_the_export_is_every_filtered_row_safe_in_a_spreadsheet_and_audited(story):
    story["senco"].first_name = "=HYPERLINK(evil)"
    story["senco"].save()
    response = signed_in(story["dpo"]).get(reverse("view_audit_export"), {"person": "sam"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.streaming
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][:4] == ["When", "Username", "Name", "Action"]
    assert len(lines) == 4 and {line[1] for line in lines[1:]} == {"sam.senco"}
    assert {line[2] for line in lines[1:]} == {"'=HYPERLINK(evil) " + story["senco"].last_name}
    assert story["fr"].reference in {line[6] for line in lines[1:]}
    # The export is itself a record of who read the audit, and of what.
    audited = ViewAudit.objects.get(object_type="portal.ViewAudit")
    assert (audited.user, audited.action, audited.detail) == (
        story["dpo"],
        "export",
        "CSV export person=sam",
    )


def test_the_api_lists_the_same_rows_for_the_dpo_only(story):
    api = signed_in(story["dpo"])
    answer = api.get("/api/v1/view-audit/", {"reference": story["fr"].reference})
    assert answer.status_code == 200
    data = answer.json()
    assert data["count"] == 2
    assert {r["username"] for r in data["results"]} == {"sam.senco"}
    assert story["fr"].reference in {r["reference"] for r in data["results"]}
    bad = api.get("/api/v1/view-audit/", {"from": "yesterday"})
    assert bad.status_code == 400 and "from" in bad.json()
    assert signed_in(story["officer"]).get("/api/v1/view-audit/").status_code == 404


def test_the_dpo_lands_on_the_audit_and_sees_no_requests(story):
    dpo = signed_in(story["dpo"])
    html = dpo.get(reverse("dashboard")).content.decode()
    assert "Search the view audit" in html and "(Data protection officer)" in html
    assert f'href="{reverse("view_audit")}"' in html
    assert dpo.get(reverse("funding:detail", args=[story["fr"].pk])).status_code == 404
    assert dpo.get("/api/v1/requests/").json()["count"] == 0
    assert signed_in(story["officer"]).get(reverse("view_audit")).status_code == 404
