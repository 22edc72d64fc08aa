"""Independent moderation: a member records their own view before seeing the others'
scores, the chair reveals the spread at the meeting (with each criterion's total and
mean), and a conflict declared by mistake is withdrawn with a reason."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from funding.models import RequestEvent
from panels import services
from panels.models import ConflictDeclaration, SpreadReveal

from .factories import member


def signed_in(client, user):
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def view_post(need=4, graduated=3, impact=3, value=3, recommendation="approve", comment=""):
    return {
        "evidence_of_need": need,
        "graduated_approach": graduated,
        "likely_impact": impact,
        "value_for_money": value,
        "recommendation": recommendation,
        "comment": comment,
    }


@pytest.fixture
def item_d(request_d, send_officer, meeting):
    """head_d's school's request on today's meeting (head_d is recused from it)."""
    return services.schedule_request(request_d, by=send_officer, meeting=meeting)


@pytest.fixture
def item_a(request_a, send_officer, meeting):
    return services.schedule_request(request_a, by=send_officer, meeting=meeting)


def open_with_everyone(meeting, panel, heads):
    chair = heads[0]
    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])


@pytest.mark.django_db
def test_a_member_sees_the_others_scores_only_once_they_have_recorded_their_own(
    client, panel, meeting, heads, item_a
):
    chair, head_d, head_e, head_a = heads
    signed_in(client, head_d).post(
        reverse("panels:moderate", args=[item_a.pk]),
        view_post(need=2, recommendation="decline", comment="Only one cycle."),
    )

    # head_e has not recorded a view: the page says how many there are, and nothing else.
    before = signed_in(client, head_e).get(reverse("panels:item", args=[item_a.pk]))
    assert "1 view recorded" in before.text and "Record your own view first" in before.text
    assert "Only one cycle." not in before.text and 'data-testid="spread"' not in before.text
    agenda = client.get(reverse("panels:meeting", args=[meeting.pk]))
    assert "Only one cycle." not in agenda.text and "Members disagree" not in agenda.text

    # Once recorded, the named scores and the spread are shown (the total is the chair's).
    client.post(reverse("panels:moderate", args=[item_a.pk]), view_post(comment="Strong APDR."))
    after = client.get(reverse("panels:item", args=[item_a.pk]))
    assert "Only one cycle." in after.text and "Strong APDR." in after.text
    assert "members disagree" in after.text and 'data-testid="total"' not in after.text

    # The recused head still sees no view at all.
    own = signed_in(client, head_a).get(reverse("panels:item", args=[item_a.pk]))
    assert "Only one cycle." not in own.text and "You are recused from this item" in own.text


@pytest.mark.django_db
def test_the_chair_reveals_the_spread_at_the_meeting_and_sees_totals_and_means(
    client, panel, meeting, heads, item_a
):
    chair, head_d, head_e, head_a = heads
    for head, need in ((head_d, 2), (head_e, 4)):
        services.record_moderation(
            item_a,
            by=head,
            scores={
                "evidence_of_need": need,
                "graduated_approach": 3,
                "likely_impact": 3,
                "value_for_money": 2,
            },
            recommendation="approve",
        )

    # Before the meeting opens, nobody reveals anything.
    signed_in(client, chair)
    early = client.post(reverse("panels:reveal", args=[item_a.pk]), follow=True)
    assert "The views are revealed at the meeting: open it first." in said(early)
    open_with_everyone(meeting, panel, heads)

    # A member who is not chairing the item cannot reveal it.
    refused = signed_in(client, head_d).post(reverse("panels:reveal", args=[item_a.pk]))
    assert "Only the member chairing this item reveals the members' views." in said(refused)
    assert not SpreadReveal.objects.exists()

    # The chair, who has recorded no view, sees none until revealing them.
    signed_in(client, chair)
    blind = client.get(reverse("panels:item", args=[item_a.pk]))
    assert 'data-testid="reveal"' in blind.text and 'data-testid="spread"' not in blind.text
    done = client.post(reverse("panels:reveal", args=[item_a.pk]), follow=True)
    assert "Every member now sees the members' views on this item." in said(done)
    page = done.text
    assert 'data-testid="spread"' in page and "Total (of 2)" in page
    # Evidence of need: 2 and 4 — total 6, mean 3; value for money 2 and 2 — total 4.
    totals = page.split('data-testid="total">')[1:]
    assert [t.split("<", 1)[0] for t in totals] == ["6", "6", "6", "4"]
    assert ">3<" in page and 'data-testid="reveal"' not in page

    # Recorded for the record: the timeline, the minutes; and not twice.
    assert RequestEvent.objects.filter(
        request=item_a.request, kind="spread_revealed", actor=chair
    ).exists()
    again = client.post(reverse("panels:reveal", args=[item_a.pk]))
    assert "already shown to the panel" in said(again)[-1]

    # Every member not recused now sees the views, recorded or not; the total is the chair's.
    ep = panel.members.get(voting=False).user
    for user in (ep, head_d):
        seen = signed_in(client, user).get(reverse("panels:item", args=[item_a.pk]))
        assert 'data-testid="views"' in seen.text and 'data-testid="total"' not in seen.text
    assert (
        "Only one cycle."
        not in signed_in(client, head_a).get(reverse("panels:item", args=[item_a.pk])).text
    )

    services.close_meeting(meeting, by=chair)
    minutes = signed_in(client, chair).get(reverse("panels:minutes", args=[meeting.pk]))
    assert 'data-testid="minutes-reveal"' in minutes.text


@pytest.mark.django_db
def test_the_api_keeps_moderation_blind_until_a_member_records_or_the_chair_reveals(
    panel, meeting, heads, item_a
):
    chair, head_d, head_e, head_a = heads
    view = view_post(need=2) | {"comment": "Thin evidence."}
    assert api(head_d).post(f"/api/v1/agenda-items/{item_a.pk}/views/", view).status_code == 201

    blind = api(head_e).get(f"/api/v1/agenda-items/{item_a.pk}/spread/")
    assert blind.status_code == 403 and "Record your own view first" in blind.json()["detail"]
    assert api(head_e).get(f"/api/v1/agenda-items/{item_a.pk}/").json()["you_see_views"] is False
    assert api(head_a).get(f"/api/v1/agenda-items/{item_a.pk}/spread/").status_code == 404
    # head_d recorded: the spread, without the chair's totals.
    mine = api(head_d).get(f"/api/v1/agenda-items/{item_a.pk}/spread/").json()
    assert mine["count"] == 1 and mine["rows"][0]["min"] == 2 and mine["rows"][0]["total"] is None

    open_with_everyone(meeting, panel, heads)
    refused = api(head_e).post(f"/api/v1/agenda-items/{item_a.pk}/reveal/")
    assert refused.status_code == 400 and "Only the member chairing" in refused.json()["detail"]
    revealed = api(chair).post(f"/api/v1/agenda-items/{item_a.pk}/reveal/")
    assert revealed.status_code == 201, revealed.json()
    body = revealed.json()
    assert body["revealed_by"] == (chair.get_full_name() or chair.username)
    assert body["rows"][0] == {
        "criterion": "evidence_of_need",
        "label": "Evidence of need",
        "min": 2,
        "max": 2,
        "total": 2,
        "mean": 2.0,
        "disagree": False,
    }
    seen = api(head_e).get(f"/api/v1/agenda-items/{item_a.pk}/views/")
    assert [v["comment"] for v in seen.json()] == ["Thin evidence."]
    item = api(head_e).get(f"/api/v1/agenda-items/{item_a.pk}/").json()
    assert item["you_see_views"] is True and item["views_revealed_at"]


@pytest.mark.django_db
def test_a_conflict_declared_by_mistake_is_withdrawn_with_a_reason_and_kept_for_the_record(
    client, panel, meeting, heads, item_a, item_d, send_officer
):
    chair, head_d, head_e, head_a = heads
    signed_in(client, head_e).post(
        reverse("panels:conflict", args=[item_a.pk]), {"reason": "My sister teaches there"}
    )
    page = client.get(reverse("panels:item", args=[item_a.pk]))
    assert (
        "You are recused from this item" in page.text and 'data-testid="my-conflict"' in page.text
    )

    # No reason, no withdrawal.
    refused = client.post(
        reverse("panels:withdraw_conflict", args=[item_a.pk]), {"reason": " "}, follow=True
    )
    assert "Say why you are withdrawing the conflict" in said(refused)[0]
    done = client.post(
        reverse("panels:withdraw_conflict", args=[item_a.pk]),
        {"reason": "Declared on the wrong item: my sister teaches at another school."},
        follow=True,
    )
    assert "Your conflict is withdrawn" in said(done)[-1]
    assert "You are recused from this item" not in done.text
    # head_e takes part again: they may record a view.
    client.post(reverse("panels:moderate", args=[item_a.pk]), view_post(), follow=True)
    assert item_a.views.filter(member__user=head_e).exists()
    kept = ConflictDeclaration.objects.get(item=item_a, member__user=head_e)
    assert kept.reason == "My sister teaches there" and kept.withdrawn_at is not None
    assert kept.withdrawal_reason.startswith("Declared on the wrong item")

    # A recusal from one's own school is not a declaration and cannot be withdrawn.
    own = signed_in(client, head_d).post(
        reverse("panels:withdraw_conflict", args=[item_d.pk]), {"reason": "I disagree"}, follow=True
    )
    assert "you are from the requesting school" in said(own)[-1]
    # Nor can one withdraw a conflict never declared.
    none = client.post(
        reverse("panels:withdraw_conflict", args=[item_a.pk]), {"reason": "x"}, follow=True
    )
    assert "You have not declared a conflict on this item." in said(none)[-1]


@pytest.mark.django_db
def test_the_chair_withdrawing_a_conflict_takes_the_item_back_from_the_acting_chair(
    panel, meeting, heads, item_a
):
    chair, head_d, head_e, head_a = heads
    open_with_everyone(meeting, panel, heads)
    services.declare_conflict(item_a, by=chair, reason="A governor there")
    services.name_acting_chair(item_a, by=chair, member=member(panel, head_d))
    item_a.refresh_from_db()
    assert item_a.acting_chair == member(panel, head_d)

    withdrawn = api(chair).post(
        f"/api/v1/agenda-items/{item_a.pk}/conflict-withdrawal/",
        {"reason": "I stepped down as governor last year."},
    )
    assert withdrawn.status_code == 200, withdrawn.json()
    assert withdrawn.json()["reason"] == "A governor there"
    item_a.refresh_from_db()
    # Recusal recomputed: the chair chairs the item again.
    assert item_a.acting_chair is None
    data = api(chair).get(f"/api/v1/agenda-items/{item_a.pk}/").json()
    assert data["chair_recused"] is None and data["you_are_recused"] is False

    # Withdrawing twice, or from one's own school, is refused with the reason.
    again = api(chair).post(
        f"/api/v1/agenda-items/{item_a.pk}/conflict-withdrawal/", {"reason": "again"}
    )
    assert again.status_code == 400 and "not declared" in again.json()["detail"]
    own = api(head_a).post(
        f"/api/v1/agenda-items/{item_a.pk}/conflict-withdrawal/", {"reason": "mine"}
    )
    assert own.status_code == 400 and "requesting school" in own.json()["detail"]
