"""After the decision: the pupil moves school, the award is reduced, the payments are made.

Each story goes the way an officer would: from the cluster page to the request's
money, through the form and its check page, or through the API.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from budgets import selectors, services, tasks
from budgets.models import EntryKind, InstalmentStatus, LedgerEntry, PaymentInstalment
from funding.services import apply_transition
from funding.workflow import Award
from tests.factories import SchoolFactory

from .factories import ClusterBudgetFactory, allocate, request_on_agenda

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("panel_rules")]


@pytest.fixture
def funded(budget, chair, today):
    """A £9,000 award at a school in ``budget``'s cluster, its first instalment due today."""
    fr = request_on_agenda(budget, start_date=today, end_date=today + timedelta(weeks=38))
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("9000.00"))
    )
    fr.refresh_from_db()
    return fr


@pytest.fixture
def receiving(budget, this_year):
    """Another cluster's budget for the same stream, with a school the pupil can move to."""
    other = ClusterBudgetFactory(stream=budget.stream, year=this_year)
    allocate(other, "20000.00")
    return other, SchoolFactory(cluster=other.cluster)


@pytest.fixture
def api():
    return APIClient()


# --- the pupil moves ------------------------------------------------------------------


def test_a_send_officer_moves_the_funding_with_the_pupil_after_checking_it(
    client, send_officer, funded, budget, receiving
):
    other, new_school = receiving
    client.force_login(send_officer)
    cluster_page = client.get(reverse("budgets:cluster", args=[budget.cluster_id])).content.decode()
    history_url = reverse("budgets:request", args=[funded.pk])
    assert history_url in cluster_page
    history = client.get(history_url).content.decode()
    move_url = reverse("budgets:move_pupil", args=[funded.pk])
    assert move_url in history and "£9,000.00" in history

    form = {"new_school": new_school.pk, "reason": "Family moved to Banbury"}
    check = client.post(move_url, {**form, "action": "check"}).content.decode()

    assert "Check the move" in check and 'data-testid="move-amount">£9,000.00<' in check
    assert "£20,000.00 available now, £11,000.00 after the move" in check
    assert selectors.request_totals(funded).committed == Decimal("9000.00")  # nothing yet
    assert LedgerEntry.objects.filter(budget=other, kind=EntryKind.COMMITMENT).count() == 0

    done = client.post(move_url, {**form, "action": "confirm"})

    assert done.status_code == 302 and done.url == history_url
    funded.refresh_from_db()
    assert (funded.school, funded.cluster) == (new_school, other.cluster)
    assert selectors.budget_totals(budget).committed == Decimal("0.00")
    assert selectors.budget_totals(other).committed == Decimal("9000.00")
    page = client.get(history_url).content.decode()
    assert "Pupil moved from" in page and "Pupil moved to" in page  # the history stays


def test_a_move_the_receiving_cluster_cannot_cover_needs_a_finance_officers_override(
    client, send_officer, finance_officer, funded, budget, this_year
):
    poor = ClusterBudgetFactory(stream=budget.stream, year=this_year)
    allocate(poor, "1000.00")
    new_school = SchoolFactory(cluster=poor.cluster)
    move_url = reverse("budgets:move_pupil", args=[funded.pk])
    form = {"new_school": new_school.pk, "reason": "Family moved", "action": "confirm"}

    client.force_login(send_officer)
    check = client.post(move_url, {**form, "action": "check"}).content.decode()
    assert 'data-testid="move-shortfall"' in check and "£8,000.00 short" in check
    refused = client.post(move_url, form).content.decode()
    assert "over-budget override" in refused
    funded.refresh_from_db()
    assert funded.school.cluster_id == budget.cluster_id  # nothing changed

    client.force_login(finance_officer)
    client.post(move_url, {**form, "override_reason": "Statutory: the pupil's support continues"})

    funded.refresh_from_db()
    assert funded.cluster_id == poor.cluster_id
    assert selectors.budget_totals(poor).available == Decimal("-8000.00")
    county = client.get(reverse("budgets:county")).content.decode()
    cluster = client.get(reverse("budgets:cluster", args=[poor.cluster_id])).content.decode()
    for page in (county, cluster):
        assert "over budget by £8,000.00" in page
        assert "1 approval over budget by finance officer override" in page


def test_the_api_moves_a_pupil_for_la_officers_only(api, senco_a, send_officer, funded, receiving):
    _, new_school = receiving
    url = f"/api/v1/request-money/{funded.pk}/move-pupil/"
    payload = {"new_school": new_school.pk, "reason": "Family moved"}

    api.force_authenticate(senco_a)
    assert api.post(url, payload, format="json").status_code == 404
    assert api.get(f"/api/v1/request-money/{funded.pk}/").status_code == 404

    api.force_authenticate(send_officer)
    assert api.post(url, {**payload, "reason": ""}, format="json").status_code == 400
    moved = api.post(url, payload, format="json")

    assert moved.status_code == 200
    body = moved.json()
    assert body["school"] == new_school.pk and body["committed"] == "9000.00"
    assert [e["kind"] for e in body["entries"]] == ["commitment", "release", "commitment"]
    again = api.post(url, payload, format="json")
    assert again.status_code == 400 and "already at that school" in again.json()["detail"]


def test_the_api_refuses_an_uncovered_move_unless_a_finance_officer_overrides(
    api, send_officer, finance_officer, funded, budget, this_year
):
    poor = ClusterBudgetFactory(stream=budget.stream, year=this_year)
    new_school = SchoolFactory(cluster=poor.cluster)
    url = f"/api/v1/request-money/{funded.pk}/move-pupil/"
    payload = {"new_school": new_school.pk, "reason": "Moved", "override_reason": "Statutory"}

    api.force_authenticate(send_officer)  # an override reason from a SEND officer is not enough
    refused = api.post(url, payload, format="json")
    assert refused.status_code == 409 and "available" in refused.json()["detail"]
    api.force_authenticate(finance_officer)
    assert api.post(url, payload, format="json").status_code == 200
    assert selectors.budget_totals(poor).available == Decimal("-9000.00")
    assert LedgerEntry.objects.get(budget=poor).override.reason == "Statutory"


# --- a reduced award ------------------------------------------------------------------


def test_a_finance_officer_records_a_reduced_award_and_the_difference_goes_back(
    client, send_officer, finance_officer, funded, budget
):
    url = reverse("budgets:reduce_award", args=[funded.pk])
    client.force_login(send_officer)
    assert client.get(url).status_code == 403

    client.force_login(finance_officer)
    assert "£9,000.00" in client.get(url).content.decode()
    assert "reason" in client.post(url, {"new_amount": "6000.00", "reason": ""}).content.decode()
    done = client.post(url, {"new_amount": "6000.00", "reason": "Fewer hours after review"})

    assert done.status_code == 302
    funded.refresh_from_db()
    assert funded.amount_awarded == Decimal("6000.00")
    assert selectors.budget_totals(budget).available == Decimal("14000.00")
    assert funded.events.filter(kind="award_reduced").exists()
    scheduled = PaymentInstalment.objects.filter(request=funded, status=InstalmentStatus.SCHEDULED)
    assert sum(i.amount for i in scheduled) == Decimal("6000.00")
    too_much = client.post(url, {"new_amount": "7000.00", "reason": "Oops"}).content.decode()
    assert "below the current award of £6,000.00" in too_much


def test_the_api_reduces_an_award_for_finance_officers(api, send_officer, finance_officer, funded):
    url = f"/api/v1/request-money/{funded.pk}/reduce-award/"
    payload = {"new_amount": "4500.00", "reason": "Panel review"}

    api.force_authenticate(send_officer)
    assert api.post(url, payload, format="json").status_code == 403
    api.force_authenticate(finance_officer)
    body = api.post(url, payload, format="json").json()

    assert body["committed"] == "4500.00"
    assert body["entries"][-1]["kind"] == "release" and body["entries"][-1]["amount"] == "4500.00"


# --- payments -------------------------------------------------------------------------


def test_a_finance_officer_runs_the_payments_due_and_a_second_run_pays_nothing(
    client, send_officer, finance_officer, funded
):
    first = PaymentInstalment.objects.filter(request=funded).order_by("due_date").first()
    url = reverse("budgets:payments")
    client.force_login(send_officer)
    page = client.get(url).content.decode()
    assert f"1 instalment due by today, £{first.amount:,}" in page
    assert "Pay the 1 instalment due now" not in page  # SEND officers look, not pay
    assert client.post(url).status_code == 403

    client.force_login(finance_officer)
    done = client.post(url, follow=True).content.decode()
    assert "1 instalment paid" in done
    again = client.post(url, follow=True).content.decode()

    assert "0 instalments paid" in again
    assert selectors.request_totals(funded).paid == first.amount
    assert LedgerEntry.objects.get(kind=EntryKind.PAYMENT).paid_instalment == first


def test_the_api_and_the_daily_task_run_the_payments_idempotently(
    api, send_officer, finance_officer, funded
):
    api.force_authenticate(send_officer)
    assert api.post("/api/v1/payment-runs/").status_code == 403
    api.force_authenticate(finance_officer)

    assert api.post("/api/v1/payment-runs/").json() == {"paid": 1}
    assert tasks.pay_due_instalments.apply().get() == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 1


def test_the_database_refuses_a_second_payment_of_one_instalment(funded, finance_officer):
    inst = PaymentInstalment.objects.filter(request=funded).order_by("due_date").first()
    entry = services.pay_instalment(inst, user=finance_officer)

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            budget=entry.budget,
            kind=EntryKind.PAYMENT,
            amount=inst.amount,
            reason="Paid again by mistake",
            request=funded,
            paid_instalment=inst,
        )
