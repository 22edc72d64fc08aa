"""The SENCO's outcome review through the API: the same scope, rules and money as the page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from budgets.selectors import budget_totals
from budgets.services import budget_for
from funding.models import FundingRequest
from panels import services
from panels.models import OutcomeReview

from .factories import member, ready_request

OVER_AWARD = (
    "You can report up to £7,500.00, the amount awarded. If the provision cost more, "
    "the school met the difference."
)
REPORT = {
    "result": "met",
    "evidence": "Reads at age-related expectations.",
    "amount_spent": "7000.00",
}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def review_url(fr) -> str:
    return reverse("request-outcome-review", args=[fr.pk])


def budget_of(fr):
    return budget_for(fr.school.cluster_id, fr.stream_id)


@pytest.fixture
def review_due(panel, meeting, heads, send_officer, school_a, senco_a, today):
    """Two of school A's requests (each on its own stream's budget), approved at today's
    meeting, funded and now at their review date."""
    requests = [ready_request(school_a, created_by=senco_a) for _ in range(2)]
    items = [services.schedule_request(fr, by=send_officer) for fr in requests]
    services.open_meeting(meeting, by=heads[0])
    meeting.refresh_from_db()
    services.record_attendance(meeting, by=heads[0], present=[member(panel, h) for h in heads])
    for item in items:
        services.record_decision(
            item, by=heads[0], outcome="approved", rationale="Good evidence.",
            review_date=today + timedelta(days=90),
        )  # fmt: skip
    for fr in requests:
        services.activate_due(today=FundingRequest.objects.get(pk=fr.pk).start_date)
    services.reviews_due(today=today + timedelta(days=90))
    requests = [FundingRequest.objects.get(pk=fr.pk) for fr in requests]
    assert [fr.state for fr in requests] == ["review_due", "review_due"]
    return requests


@pytest.mark.django_db
def test_the_senco_closes_a_review_through_the_api_and_the_money_settles_as_on_the_page(
    client, review_due, senco_a
):
    by_page, by_api = review_due
    # Both awards are on the cluster's one budget for their stream.
    budget = budget_of(by_page)
    assert budget_of(by_api) == budget

    def totals():
        t = budget_totals(budget)
        return t.committed, t.paid, t.available

    before = totals()

    # One request closed on the page...
    client.force_login(senco_a)
    page = client.post(reverse("panels:review", args=[by_page.pk]), REPORT, follow=True)
    assert f"{by_page.reference} is closed." in page.text
    between = totals()

    # ...the other, the same report, through the API.
    answer = api(senco_a).post(review_url(by_api), REPORT, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["state"] == "closed" and body["reference"] == by_api.reference
    assert body["result"] == "met" and body["amount_spent"] == "7000.00"
    settlement = body["settlement"]
    # Nothing paid yet: the £7,000 spent is paid now and the other £500 goes back.
    assert settlement["final_payment"] == "7000.00" and settlement["released"] == "500.00"
    assert settlement["overpaid"] == "0.00"
    assert settlement["sentence"] in page.text  # the page told the SENCO the same
    assert FundingRequest.objects.get(pk=by_api.pk).state == "closed"
    assert OutcomeReview.objects.get(request=by_api).reported_by == senco_a

    # The budget moved by the same amounts each time: £500 committed is available again.
    after = totals()
    by_the_page = tuple(b - a for a, b in zip(before, between, strict=True))
    by_the_api = tuple(b - a for a, b in zip(between, after, strict=True))
    assert by_the_api == by_the_page
    assert by_the_api[0] == Decimal("-500.00") and by_the_api[2] == Decimal("500.00")


@pytest.mark.django_db
def test_only_the_requesting_schools_staff_may_report(review_due, senco_b, heads):
    fr = review_due[0]
    # Another cluster's SENCO, and a panel member who may read the request but is not
    # from its school: 404, as on the page.
    for outsider in (senco_b, heads[0]):
        answer = api(outsider).post(review_url(fr), REPORT, format="json")
        assert answer.status_code == 404
    assert FundingRequest.objects.get(pk=fr.pk).state == "review_due"
    assert not OutcomeReview.objects.filter(request=fr).exists()


@pytest.mark.django_db
def test_more_than_the_award_is_refused_with_the_pages_message(review_due, senco_a):
    fr = review_due[0]
    answer = api(senco_a).post(review_url(fr), {**REPORT, "amount_spent": "7500.01"}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"amount_spent": [OVER_AWARD]}
    assert FundingRequest.objects.get(pk=fr.pk).state == "review_due"


@pytest.mark.django_db
def test_evidence_is_required(review_due, senco_a):
    fr = review_due[0]
    answer = api(senco_a).post(review_url(fr), {**REPORT, "evidence": ""}, format="json")
    assert answer.status_code == 400 and "evidence" in answer.json()
    assert FundingRequest.objects.get(pk=fr.pk).state == "review_due"


@pytest.mark.django_db
def test_a_second_review_is_refused(review_due, senco_a):
    fr = review_due[0]
    client = api(senco_a)
    assert client.post(review_url(fr), REPORT, format="json").status_code == 200
    again = client.post(review_url(fr), {**REPORT, "amount_spent": "100.00"}, format="json")
    assert again.status_code == 400
    assert "there are no outcomes to report now" in again.json()["detail"]
    assert OutcomeReview.objects.get(request=fr).amount_spent == Decimal("7000.00")


OUTCOMES = "1. Reads at age-related expectations\n2. Writes a paragraph unaided"


@pytest.mark.django_db
def test_the_review_answers_each_outcome_sought_with_evidence(review_due, senco_a, client):
    fr = review_due[0]
    FundingRequest.objects.filter(pk=fr.pk).update(outcomes_sought=OUTCOMES)
    school = api(senco_a)
    # One answer short, an answer without evidence, a result the review does not know.
    for outcomes, message in [
        ([{"result": "met", "evidence": "Band 6"}], "Answer each of the 2 outcomes"),
        ([{"result": "met", "evidence": "Band 6"}, {"result": "met", "evidence": "  "}],
         "Give the evidence for outcome 2"),
    ]:  # fmt: skip
        refused = school.post(review_url(fr), {**REPORT, "outcomes": outcomes}, format="json")
        assert refused.status_code == 400 and message in str(refused.data), refused.data
    odd = school.post(
        review_url(fr),
        {**REPORT, "outcomes": [{"result": "maybe", "evidence": "x"}] * 2},
        format="json",
    )
    assert odd.status_code == 400
    assert not OutcomeReview.objects.filter(request=fr).exists()

    answers = [
        {"result": "met", "evidence": "Reads band 6 aloud."},
        {"result": "partly", "evidence": "Three sentences with a word bank."},
    ]
    done = school.post(review_url(fr), {**REPORT, "outcomes": answers}, format="json")
    assert done.status_code == 200, done.data
    assert done.data["outcomes"] == [
        {"outcome": "Reads at age-related expectations", **answers[0]},
        {"outcome": "Writes a paragraph unaided", **answers[1]},
    ]


@pytest.mark.django_db
def test_the_review_page_asks_about_each_outcome(review_due, senco_a, client):
    fr = review_due[1]
    FundingRequest.objects.filter(pk=fr.pk).update(outcomes_sought=OUTCOMES)
    client.force_login(senco_a)
    url = reverse("panels:review", args=[fr.pk])
    page = client.get(url).content.decode()
    assert "Outcome 1: Reads at age-related expectations" in page
    assert "Outcome 2: Writes a paragraph unaided" in page
    missing = client.post(url, {**REPORT, "outcome_1_result": "met"}).content.decode()
    assert "Give the evidence for outcome 1" in missing
    assert "Say whether outcome 2 was met, partly met or not met" in missing
    done = client.post(
        url,
        {**REPORT, "outcome_1_result": "met", "outcome_1_evidence": "Band 6.",
         "outcome_2_result": "not_met", "outcome_2_evidence": "Still one sentence."},
    )  # fmt: skip
    assert done.status_code == 302
    results = OutcomeReview.objects.get(request=fr).results.all()
    assert [(r.order, r.result) for r in results] == [(1, "met"), (2, "not_met")]
