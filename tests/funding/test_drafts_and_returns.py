"""A SENCO deletes a draft she no longer wants, and reads the LA's questions where she works."""

from django.urls import reverse
from rest_framework.test import APIClient

from funding import services
from funding.models import FundingRequest, RequestEvent
from tests.factories import make_user

from .factories import draft_request, submitted_request
from .helpers import text

API = "/api/v1/requests/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_senco_deletes_a_draft_after_confirming_and_it_is_gone_but_kept_for_the_audit(
    senco_a, head_a, send_officer, stream, login
):
    draft = draft_request(senco_a, stream=stream, pupil_initials="QZ")
    kept = draft_request(senco_a, stream=stream, pupil_initials="KP")
    senco = login(senco_a)

    # The task list offers it; the confirmation page asks first and deletes nothing.
    assert reverse("funding:delete", args=[draft.pk]) in text(
        senco.get(reverse("funding:tasks", args=[draft.pk]))
    )
    page = senco.get(reverse("funding:delete", args=[draft.pk]))
    assert page.status_code == 200
    assert "Delete this draft request" in text(page) and "QZ" in text(page)
    assert FundingRequest.objects.filter(pk=draft.pk).exists()

    response = senco.post(reverse("funding:delete", args=[draft.pk]))
    assert response.url == reverse("funding:list")
    assert f"draft request #{draft.pk} has been deleted" in text(senco.get(response.url))

    # Gone: every page and API answer is a 404, the lists and dashboard no longer show it.
    for name in ("detail", "tasks", "pupil", "timeline", "delete"):
        assert senco.get(reverse(f"funding:{name}", args=[draft.pk])).status_code == 404
    assert api(senco_a).get(f"{API}{draft.pk}/").status_code == 404
    assert [r["id"] for r in api(senco_a).get(API).json()["results"]] == [kept.pk]
    listed = text(senco.get(reverse("funding:list")))
    assert "QZ" not in listed and "KP" in listed
    assert "QZ" not in text(senco.get(reverse("dashboard")))
    found = text(senco.get(reverse("search") + "?q=QZ"))
    assert f'"{reverse("funding:detail", args=[draft.pk])}"' not in found
    assert login(head_a).get(reverse("funding:detail", args=[draft.pk])).status_code == 404

    # Kept for the audit: who deleted it and when, and the timeline says so.
    row = FundingRequest.with_deleted.get(pk=draft.pk)
    assert (row.state, row.deleted_by, row.deleted_at is not None) == ("deleted", senco_a, True)
    event = RequestEvent.objects.get(request_id=draft.pk, kind="delete")
    assert (event.actor, event.from_state, event.to_state) == (senco_a, "draft", "deleted")


def test_a_submitted_request_cannot_be_deleted_on_the_page_or_the_api(senco_a, stream, login):
    fr = submitted_request(senco_a, stream=stream)
    senco = login(senco_a)
    response = senco.post(reverse("funding:delete", args=[fr.pk]))
    assert response.status_code == 400
    assert "only a draft can be deleted. Withdraw it instead" in text(response)

    assert "delete" not in api(senco_a).get(f"{API}{fr.pk}/").json()["actions"]
    answer = api(senco_a).delete(f"{API}{fr.pk}/")
    assert answer.status_code == 400
    assert "only a draft can be deleted" in answer.json()["detail"]
    fr.refresh_from_db()
    assert fr.state == "submitted" and fr.deleted_at is None
    assert not RequestEvent.objects.filter(request=fr, kind="delete").exists()


def test_the_api_deletes_a_draft_for_its_own_school_only(senco_a, senco_b, stream):
    draft = draft_request(senco_a, stream=stream)
    # The draft offers it among its actions.
    assert "delete" in api(senco_a).get(f"{API}{draft.pk}/").json()["actions"]
    assert api(senco_b).delete(f"{API}{draft.pk}/").status_code == 404
    officer = make_user("la_send_officer")
    assert api(officer).delete(f"{API}{draft.pk}/").status_code == 404  # the LA never sees drafts
    assert FundingRequest.objects.filter(pk=draft.pk).exists()

    assert api(senco_a).delete(f"{API}{draft.pk}/").status_code == 204
    assert api(senco_a).get(f"{API}{draft.pk}/").status_code == 404
    assert api(senco_a).delete(f"{API}{draft.pk}/").status_code == 404
    assert FundingRequest.with_deleted.get(pk=draft.pk).deleted_by == senco_a


def test_another_school_cannot_open_the_delete_page(senco_a, senco_b, stream, login):
    draft = draft_request(senco_a, stream=stream)
    outsider = login(senco_b)
    assert outsider.get(reverse("funding:delete", args=[draft.pk])).status_code == 404
    assert outsider.post(reverse("funding:delete", args=[draft.pk])).status_code == 404
    assert FundingRequest.objects.get(pk=draft.pk).state == "draft"


def test_the_las_return_message_heads_the_task_list_and_the_request_until_answered(
    senco_a, send_officer, stream, login
):
    fr = submitted_request(senco_a, stream=stream)
    services.return_request(
        fr, user=send_officer, message="Please attach the educational psychologist's report."
    )
    senco, officer = login(senco_a), login(send_officer)
    for page in (
        senco.get(reverse("funding:tasks", args=[fr.pk])),
        senco.get(reverse("funding:detail", args=[fr.pk])),
        officer.get(reverse("funding:detail", args=[fr.pk])),
    ):
        body = text(page)
        assert 'data-testid="open-return"' in body
        assert "Please attach the educational psychologist&#x27;s report." in body
        assert 'data-testid="return-answer"' not in body

    # The school answers: the request page shows the question with the answer beside it.
    services.resubmit_request(fr, user=senco_a, message="Attached: EP report of 3 March.")
    for client in (senco, officer):
        body = text(client.get(reverse("funding:detail", args=[fr.pk])))
        assert "Please attach the educational psychologist&#x27;s report." in body
        assert "Attached: EP report of 3 March." in body

    # Once the LA acts on it again, the exchange is in the timeline only.
    services.triage_request(fr, user=send_officer)
    body = text(officer.get(reverse("funding:detail", args=[fr.pk])))
    assert 'data-testid="open-return"' not in body


def test_a_finance_officer_never_reads_the_return_message(
    senco_a, send_officer, finance_officer, stream, login
):
    fr = submitted_request(senco_a, stream=stream)
    services.return_request(fr, user=send_officer, message="Say more about the pupil QXZ.")
    body = text(login(finance_officer).get(reverse("funding:detail", args=[fr.pk])))
    assert "QXZ" not in body and 'data-testid="open-return"' not in body
