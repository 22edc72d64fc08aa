"""Chair's action that two people really take: the rota's chair proposes the decision on
an urgent request, naming an LA SEND officer, who confirms or refuses it in their own
session. Nothing is committed until they confirm; nobody can agree it for them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from budgets.models import EntryKind, LedgerEntry
from budgets.services import budget_for
from clusters.models import Role
from funding.models import FundingRequest, RequestEvent
from panels import services
from panels.models import AgendaItem, ChairsActionProposal, Decision, ProposalStatus
from panels.services import PanelError
from portal.models import Notification
from tests.factories import make_user

from .factories import ready_request


def dated(name, day):
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


def signed_in(client, user):
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def urgent(heads):
    """An urgent request from head_d's school, made ready by the LA."""
    return ready_request(heads[1].memberships.get().school, request_type="urgent")


@pytest.fixture
def other_officer(db):
    return make_user(Role.LA_SEND_OFFICER, username="other_officer", first_name="Olu")


def committed(fr) -> Decimal:
    return sum(
        (e.amount for e in LedgerEntry.objects.filter(request=fr, kind=EntryKind.COMMITMENT)),
        Decimal("0"),
    )


def propose(fr, chair, officer, today, **kw):
    return services.propose_chairs_action(
        fr,
        by=chair,
        officer=officer,
        outcome=kw.pop("outcome", "approved"),
        rationale=kw.pop("rationale", "The placement is at risk this week."),
        review_date=kw.pop("review_date", today + timedelta(days=60)),
        **kw,
    )


@pytest.mark.django_db
def test_the_chair_proposes_and_the_named_officer_confirms_in_their_own_session(
    client, panel, meeting, heads, send_officer, other_officer, urgent, today,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    chair, head_d, head_e, _ = heads
    signed_in(client, chair)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            reverse("panels:chairs_action", args=[urgent.pk]),
            {
                "outcome": "partially_approved",
                "amount": "4000.00",
                "officer": send_officer.pk,
                "rationale": "Interim 1:1 support until the panel meets.",
                "conditions": "Reviewed with the EP after a term.",
                **dated("review_date", today + timedelta(days=90)),
            },
            follow=True,
        )
    assert "Nothing is decided until they do." in said(sent)[-1]
    proposal = ChairsActionProposal.objects.get(request=urgent)
    assert proposal.status == ProposalStatus.AWAITING
    # Nothing is committed: no decision, no state change, no money, no agenda item.
    assert FundingRequest.objects.get(pk=urgent.pk).state == "ready"
    assert not Decision.objects.filter(request=urgent).exists()
    assert committed(urgent) == 0 and not AgendaItem.objects.filter(request=urgent).exists()
    # The chair's page now shows the proposal waiting, and the chair cannot confirm it.
    waiting = client.get(reverse("panels:chairs_action", args=[urgent.pk]), follow=True)
    assert 'data-testid="waiting"' in waiting.text and 'data-testid="confirm"' not in waiting.text
    mine = client.post(reverse("panels:confirm_proposal", args=[proposal.pk]), follow=True)
    assert "can confirm or refuse this chair&#x27;s action" in mine.text
    assert FundingRequest.objects.get(pk=urgent.pk).state == "ready"

    # The named officer is told, with a link to the proposal.
    note = Notification.objects.get(user=send_officer)
    assert note.subject.startswith("Chair's action to confirm") and "£4,000.00" in note.body
    assert not Notification.objects.filter(user=other_officer).exists()

    # Another LA SEND officer sees it but cannot agree it for them.
    page = signed_in(client, other_officer).get(note.url)
    assert page.status_code == 200 and 'data-testid="confirm"' not in page.text
    refused = client.post(reverse("panels:confirm_proposal", args=[proposal.pk]), follow=True)
    assert (
        f"Only {send_officer.get_full_name() or send_officer.username}, the LA SEND officer"
        in said(refused)[-1]
    )
    assert FundingRequest.objects.get(pk=urgent.pk).state == "ready" and committed(urgent) == 0
    # A head of another school of the cluster cannot find it at all.
    assert signed_in(client, head_e).get(note.url).status_code == 404

    # The named officer reads the proposal and confirms it.
    page = signed_in(client, send_officer).get(note.url)
    assert "Interim 1:1 support until the panel meets." in page.text
    assert "£4,000.00" in page.text and 'data-testid="confirm"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("panels:confirm_proposal", args=[proposal.pk]), follow=True)
    assert "Confirmed: Partially approved." in said(done)[-1]
    assert "Proposed by" in done.text and 'data-testid="two-people"' in done.text

    fr = FundingRequest.objects.get(pk=urgent.pk)
    assert (fr.state, fr.amount_awarded) == ("partially_approved", Decimal("4000.00"))
    assert committed(fr) == Decimal("4000.00")
    decision = Decision.objects.get(request=fr)
    assert decision.by_chairs_action and decision.chair == chair
    assert decision.la_officer == send_officer
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.CONFIRMED and proposal.decision == decision
    # The timeline shows both people as who they are.
    events = {e.kind: e for e in RequestEvent.objects.filter(request=fr)}
    assert events["chairs_action_proposed"].actor == chair
    assert events["partially_approve"].actor == send_officer
    assert "Confirmed by" in events["chairs_action_proposed"].message
    # It waits on the next meeting's agenda for ratification; the chair is told.
    item = AgendaItem.objects.get(request=fr)
    assert item.kind == "ratification" and item.meeting == meeting
    assert Notification.objects.filter(
        user=chair, subject__startswith="Chair's action confirmed"
    ).exists()
    # Once answered, nobody answers it again.
    again = client.post(reverse("panels:confirm_proposal", args=[proposal.pk]), follow=True)
    assert "already confirmed" in said(again)[-1]
    assert committed(fr) == Decimal("4000.00")


@pytest.mark.django_db
def test_a_refused_proposal_tells_the_chair_why_and_decides_nothing(
    client, panel, meeting, heads, send_officer, urgent, today, django_capture_on_commit_callbacks
):
    chair = heads[0]
    proposal = propose(urgent, chair, send_officer, today)
    signed_in(client, send_officer)
    blank = client.post(
        reverse("panels:refuse_proposal", args=[proposal.pk]), {"reason": " "}, follow=True
    )
    assert "Say why you refuse" in said(blank)[-1]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("panels:refuse_proposal", args=[proposal.pk]),
            {"reason": "The EP assessment is next week: wait for it."},
        )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REFUSED and proposal.decision is None
    assert FundingRequest.objects.get(pk=urgent.pk).state == "ready" and committed(urgent) == 0
    told = Notification.objects.get(user=chair, subject__startswith="Chair's action refused")
    assert "The EP assessment is next week: wait for it." in told.body

    # The chair sees why on the proposal and on the chair's action page, and may propose again.
    signed_in(client, chair)
    assert "The EP assessment is next week" in client.get(told.url).text
    page = client.get(reverse("panels:chairs_action", args=[urgent.pk]))
    assert "refused your last proposal" in page.text and "EP assessment" in page.text
    again = propose(urgent, chair, send_officer, today, outcome="declined", review_date=None)
    assert again.status == ProposalStatus.AWAITING


@pytest.mark.django_db
def test_one_open_proposal_per_request_and_two_people_always(
    panel, meeting, heads, send_officer, other_officer, urgent, today, school_a
):
    chair = heads[0]
    propose(urgent, chair, send_officer, today)
    with pytest.raises(PanelError, match="already waiting for"):
        propose(urgent, chair, other_officer, today)
    # The database holds the rule too, whatever the caller.
    with pytest.raises(IntegrityError), transaction.atomic():
        ChairsActionProposal.objects.create(
            request=urgent,
            proposed_by=chair,
            officer=other_officer,
            outcome="declined",
            rationale="Twice",
            proposed_at=timezone.now(),
        )
    # The chair never names someone who is not an LA SEND officer, nor themselves.
    other = ready_request(heads[2].memberships.get().school, request_type="urgent")
    with pytest.raises(PanelError, match="Name the LA SEND officer"):
        propose(other, chair, heads[1], today)
    # A request from the chair's own school is not the chair's to decide.
    own = ready_request(chair.memberships.get().school, request_type="urgent")
    with pytest.raises(PanelError, match="from your school"):
        propose(own, chair, send_officer, today)


@pytest.mark.django_db
def test_the_api_proposes_confirms_and_refuses_with_the_same_rules(
    panel, meeting, heads, send_officer, other_officer, urgent, today
):
    chair, head_d, head_e, _ = heads
    body = {
        "request": urgent.pk,
        "officer": send_officer.pk,
        "outcome": "approved",
        "rationale": "Placement at risk.",
        "review_date": str(today + timedelta(days=60)),
    }
    # Only the rota's chair proposes: anyone else cannot find the request to act on.
    assert api(head_e).post("/api/v1/chairs-actions/", body, format="json").status_code == 404
    made = api(chair).post("/api/v1/chairs-actions/", body, format="json")
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    assert made.json()["status"] == "awaiting" and made.json()["officer"] == send_officer.pk

    assert api(head_e).get(f"/api/v1/chairs-actions/{pk}/").status_code == 404
    assert api(chair).get("/api/v1/chairs-actions/").json()["count"] == 1
    # Nobody but the named officer agrees it: 403 with the reason, and nothing changes.
    for who in (chair, other_officer):
        refused = api(who).post(f"/api/v1/chairs-actions/{pk}/confirm/")
        assert refused.status_code == 403, refused.json()
        assert "nobody can agree it for them" in refused.json()["detail"]
    assert api(head_e).post(f"/api/v1/chairs-actions/{pk}/confirm/").status_code == 404
    assert FundingRequest.objects.get(pk=urgent.pk).state == "ready"

    confirmed = api(send_officer).post(f"/api/v1/chairs-actions/{pk}/confirm/")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["by_chairs_action"] is True
    assert FundingRequest.objects.get(pk=urgent.pk).state == "approved"
    twice = api(send_officer).post(f"/api/v1/chairs-actions/{pk}/refuse/", {"reason": "No"})
    assert twice.status_code == 409 and "already confirmed" in twice.json()["detail"]


@pytest.mark.django_db
def test_confirming_when_the_budget_is_short_names_the_shortfall_and_commits_nothing(
    panel, meeting, heads, send_officer, today
):
    chair = heads[0]
    fr = ready_request(heads[1].memberships.get().school, request_type="urgent", amount="9000.00")
    budget = budget_for(fr.cluster_id, fr.stream_id)
    # Leave £1,234.00 on the cluster's budget.
    LedgerEntry.objects.create(
        budget=budget,
        kind=EntryKind.ADJUSTMENT,
        amount=Decimal("-98766.00"),
        reason="Moved to another stream",
    )
    proposal = propose(fr, chair, send_officer, today, outcome="partially_approved",
                       amount=Decimal("2000.00"))  # fmt: skip
    refused = api(send_officer).post(f"/api/v1/chairs-actions/{proposal.pk}/confirm/")
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "has £1,234.00 available; this award needs £2,000.00 — £766.00 short." in detail
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.AWAITING
    assert FundingRequest.objects.get(pk=fr.pk).state == "ready" and committed(fr) == 0
    assert not AgendaItem.objects.filter(request=fr).exists()
    # The officer refuses it instead, saying why.
    api(send_officer).post(
        f"/api/v1/chairs-actions/{proposal.pk}/refuse/", {"reason": "Not enough budget."}
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REFUSED


@pytest.mark.django_db
def test_the_chair_withdraws_a_proposal_still_waiting_and_the_officer_is_told(
    client, panel, meeting, heads, send_officer, urgent, today, django_capture_on_commit_callbacks
):
    chair, head_d = heads[0], heads[1]
    proposal = propose(urgent, chair, send_officer, today)

    # Nobody else withdraws it, on the page or in the API.
    for other in (head_d, send_officer):
        refused = api(other).post(
            f"/api/v1/chairs-actions/{proposal.pk}/withdraw/", {"reason": "No."}, "json"
        )
        assert refused.status_code in (403, 404)
    assert ChairsActionProposal.objects.get(pk=proposal.pk).status == ProposalStatus.AWAITING

    # The chair withdraws it on its page, saying why; the officer can no longer confirm it.
    page = signed_in(client, chair).get(reverse("panels:proposal", args=[proposal.pk]))
    assert 'data-testid="withdraw"' in page.text
    blank = client.post(reverse("panels:withdraw_proposal", args=[proposal.pk]), {"reason": ""})
    assert ChairsActionProposal.objects.get(pk=proposal.pk).status == ProposalStatus.AWAITING
    assert blank.status_code in (302, 400)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("panels:withdraw_proposal", args=[proposal.pk]),
            {"reason": "The school found the money itself."},
            follow=True,
        )
    assert "Withdrawn: nothing is decided" in " ".join(said(done))
    assert "Withdrawn by the chair" in done.text
    told = Notification.objects.get(
        user=send_officer, subject__startswith="Chair's action withdrawn"
    )
    assert "The school found the money itself." in told.body
    confirm = api(send_officer).post(f"/api/v1/chairs-actions/{proposal.pk}/confirm/")
    assert confirm.status_code == 409 and "withdrawn" in confirm.json()["detail"]
    assert not Decision.objects.filter(request=urgent).exists()
    # The chair may propose again.
    assert propose(urgent, chair, send_officer, today).status == ProposalStatus.AWAITING


@pytest.mark.django_db
def test_a_proposal_lapses_when_the_la_puts_the_request_on_an_agenda_meanwhile(
    client, panel, meeting, heads, send_officer, urgent, today, django_capture_on_commit_callbacks
):
    chair = heads[0]
    proposal = propose(urgent, chair, send_officer, today)
    with django_capture_on_commit_callbacks(execute=True):
        scheduled = api(send_officer).post(
            "/api/v1/agenda-items/schedule/",
            {"request": urgent.pk, "meeting": meeting.pk},
            format="json",
        )
    assert scheduled.status_code == 201, scheduled.json()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.LAPSED
    assert str(meeting) in proposal.refusal_reason
    for person in (chair, send_officer):
        assert Notification.objects.filter(
            user=person, subject__startswith="Chair's action lapsed"
        ).exists()
    # Nothing is stuck: the officer's confirm says why, and the panel decides it.
    confirm = api(send_officer).post(f"/api/v1/chairs-actions/{proposal.pk}/confirm/")
    assert confirm.status_code == 409 and "lapsed" in confirm.json()["detail"]
    assert FundingRequest.objects.get(pk=urgent.pk).state == "on_agenda"
    page = signed_in(client, send_officer).get(reverse("panels:proposal", args=[proposal.pk]))
    assert "Lapsed" in page.text and 'data-testid="confirm"' not in page.text
