"""The triage queue's filters, sort, pages and CSV; the dashboards; notifications."""

import csv
import io
import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from funding import services
from portal.models import Notification
from tests.factories import FundingStreamFactory

from .factories import draft_request, submitted_request
from .helpers import text


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_triage_queue_filters_sorts_and_exports(senco_a, senco_b, send_officer, stream, login):
    imf = FundingStreamFactory(code="IMF", name="Inclusive Mainstream Fund")
    asd = submitted_request(senco_a, primary_need="ASD", secondary_need="")
    semh = submitted_request(senco_b, primary_need="SEMH", secondary_need="", stream=imf)
    old = submitted_request(senco_b, primary_need="HI", secondary_need="ASD")
    old.submitted_at = timezone.now() - timedelta(days=40)
    old.save()
    ready = submitted_request(senco_a, primary_need="VI", secondary_need="")
    services.triage_request(ready, user=send_officer)
    client = login(send_officer)

    def refs(**params):
        page = text(client.get(reverse("funding:triage"), params))
        return {fr.reference for fr in (asd, semh, old, ready) if fr.reference in page}

    assert refs() == {asd.reference, semh.reference, old.reference}  # waiting for triage
    assert refs(state="ready") == {ready.reference}
    assert refs(cluster=senco_b.memberships.get().school.cluster_id) == {
        semh.reference, old.reference}  # fmt: skip
    assert refs(stream=imf.pk) == {semh.reference}
    assert refs(need="ASD") == {asd.reference, old.reference}  # primary or secondary
    today = timezone.localdate()
    assert refs(submitted_to=str(today - timedelta(days=30))) == {old.reference}
    assert refs(submitted_from=str(today)) == {asd.reference, semh.reference}
    page = text(client.get(reverse("funding:triage"), {"sort": "oldest"}))
    assert page.index(old.reference) < page.index(asd.reference)
    assert "govuk-tag--red" in page  # 40 days is over the 15 working day target

    rows = csv_rows(client.get(reverse("funding:export"), {"need": "ASD", "sort": "oldest"}))
    assert rows[0][:3] == ["Reference", "State", "School"] and "Pupil initials" in rows[0]
    assert [r[0] for r in rows[1:]] == [old.reference, asd.reference]


def test_pages_of_fifty(senco_a, send_officer, stream, login):
    for _ in range(51):
        submitted_request(senco_a)
    client = login(send_officer)
    first = text(client.get(reverse("funding:triage")))
    assert "Page 1 of 2" in first and "51 requests" in first
    second = text(client.get(reverse("funding:triage"), {"page": 2}))
    assert "Page 2 of 2" in second


def test_the_senco_dashboard_lists_drafts_and_returns(senco_a, send_officer, stream, login):
    draft = draft_request(senco_a, pupil_initials="DR")
    returned = submitted_request(senco_a, pupil_initials="RT")
    services.return_request(returned, user=send_officer, message="More please")
    page = text(login(senco_a).get(reverse("dashboard")))
    assert reverse("funding:tasks", args=[draft.pk]) in page
    assert "More information asked for" in page and returned.reference in page


def test_the_send_officer_dashboard_counts_the_queue(senco_a, send_officer, stream, login):
    submitted_request(senco_a)
    submitted_request(senco_a)
    page = text(login(send_officer).get(reverse("dashboard")))
    assert "waiting for triage" in page and reverse("funding:triage") in page


def test_the_school_hears_of_each_later_change_and_the_la_of_a_withdrawal(
    senco_a, send_officer, stream, django_capture_on_commit_callbacks
):
    fr = submitted_request(senco_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.triage_request(fr, user=send_officer)
        services.withdraw_request(fr, user=send_officer, message="Duplicate of another request")
    subjects = list(Notification.objects.filter(user=senco_a).values_list("subject", flat=True))
    assert any("mark ready for panel" in s for s in subjects)
    assert any("withdraw" in s for s in subjects)
    assert sum(senco_a.email in m.to for m in mail.outbox) == 2

    other = submitted_request(senco_a)
    services.withdraw_request(other, user=senco_a, message="Pupil has left")
    assert Notification.objects.filter(
        user=send_officer, subject__startswith="Request withdrawn by the school"
    ).exists()


def test_a_school_is_offered_only_the_open_streams_its_phase_may_use(senco_a, stream, login):
    FundingStreamFactory(code="PTS", name="Phase-transition support", eligible_phases=["secondary"])
    FundingStreamFactory(code="CAP", name="Small capital adaptation", is_open=False)
    page = text(login(senco_a).get(reverse("funding:start")))
    assert "Exceptional Needs Grant" in page
    assert "Phase-transition support" not in page and "Small capital adaptation" not in page


def test_an_la_officer_manages_funding_streams(send_officer, senco_a, stream, login):
    client = login(send_officer)
    assert stream.name in text(client.get(reverse("funding:streams")))
    data = {"code": "pts", "name": "Phase-transition support", "description": "",
            "max_award": "5000", "max_duration_weeks": "26",
            "eligible_phases": ["primary", "secondary"], "is_open": "on"}  # fmt: skip
    response = client.post(reverse("funding:stream_new"), {**data, "max_award": "0"})
    assert "The maximum award must be £0.01 or more" in text(response)
    response = client.post(reverse("funding:stream_new"), {**data, "code": "ENG"})
    assert response.status_code == 400  # codes are unique
    assert client.post(reverse("funding:stream_new"), data).status_code == 302
    response = client.post(
        reverse("funding:stream_edit", args=[stream.pk]),
        {**data, "code": "ENG", "name": stream.name, "max_award": "15000", "is_open": ""},
    )
    assert response.status_code == 302
    stream.refresh_from_db()
    assert not stream.is_open
    # Schools cannot.
    assert login(senco_a).get(reverse("funding:streams")).status_code == 404


def test_changing_a_filter_with_htmx_swaps_only_the_results(senco_a, send_officer, stream, login):
    fr = submitted_request(senco_a)
    response = login(send_officer).get(
        reverse("funding:triage"), {"need": "SLCN"}, HTTP_HX_REQUEST="true"
    )
    page = text(response)
    assert page.lstrip().startswith('<div id="results"') and fr.reference in page
    assert "<html" not in page


def test_ready_for_a_panel_is_one_count_wherever_the_dashboard_shows_it(
    senco_a, send_officer, stream, login
):
    from funding.models import FundingRequest

    for _ in range(3):
        services.triage_request(submitted_request(senco_a), user=send_officer)
    deferred = submitted_request(senco_a)
    services.triage_request(deferred, user=send_officer)
    # A panel deferred it: it waits for the next meeting, like the ready ones.
    FundingRequest.objects.filter(pk=deferred.pk).update(state="deferred")
    submitted_request(senco_a)  # waiting for triage: not ready for a panel

    page = re.sub(r"<[^>]+>", " ", text(login(send_officer).get(reverse("dashboard"))))

    shown = re.findall(r"(\d+)\s*(?:requests?\s+)?ready for a panel", page)
    assert shown == ["4", "4"], page
