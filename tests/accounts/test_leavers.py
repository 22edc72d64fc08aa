"""A leaver: a membership ended from a date stops giving access on that date
(docs/architecture.md §2, "Leavers"). ``Membership.objects.current()`` is the one rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Membership, Role
from panels.selectors import visible_panels
from portal.roles import scope_for
from tests.factories import FundingRequestFactory, SchoolFactory, make_user

pytestmark = pytest.mark.django_db


def live_on(monkeypatch, day: date) -> None:
    """Every "today" the portal reads (``timezone.localdate()``) is ``day``."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return day if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


@pytest.fixture
def school():
    return SchoolFactory(name="Larkrise Primary", cluster__name="Larkrise cluster")


@pytest.fixture
def leaver(school):
    user = make_user(Role.SENCO, school=school, username="ada", first_name="Ada")
    return user


def fresh(user):
    """The same person in a new request (their scope is cached per request)."""
    return type(user).objects.get(pk=user.pk)


def test_current_is_the_one_rule_a_membership_ends_on_its_end_date(leaver):
    today = timezone.localdate()
    membership = leaver.memberships.get()
    membership.ends_on = today + timedelta(days=1)
    membership.save()
    assert list(Membership.objects.current(on=today)) == [membership]
    assert membership.is_current(today)
    assert list(Membership.objects.current(on=today + timedelta(days=1))) == []
    assert not membership.is_current(today + timedelta(days=1))


def test_a_leaver_ended_from_tomorrow_works_today_and_is_refused_the_next_day(
    client, leaver, school, monkeypatch
):
    draft = FundingRequestFactory(school=school, created_by=leaver)
    membership = leaver.memberships.get()
    tomorrow = timezone.localdate() + timedelta(days=1)
    membership.ends_on = tomorrow
    membership.save()
    client.force_login(leaver)

    # Today: her school, her request, on the page and in the API.
    assert school.pk in scope_for(fresh(leaver)).school_ids
    assert client.get(reverse("funding:detail", args=[draft.pk])).status_code == 200
    assert client.get(f"/api/v1/requests/{draft.pk}/").status_code == 200
    page = client.get(reverse("dashboard")).content.decode()
    assert "Larkrise cluster" in page and "Draft: Exceptional Needs Grant" in page

    # The next day: nothing of the school is hers.
    live_on(monkeypatch, tomorrow)
    assert scope_for(fresh(leaver)).school_ids == frozenset()
    assert client.get(reverse("funding:detail", args=[draft.pk])).status_code == 404
    assert client.get(f"/api/v1/requests/{draft.pk}/").status_code == 404
    page = client.get(reverse("dashboard")).content.decode()
    assert "Larkrise cluster" not in page and "Draft:" not in page
    assert "You have no role yet" in page


def test_a_leaver_sees_no_panel_even_with_a_seat_left(leaver, school):
    from panels.models import Panel, PanelMember

    panel = Panel.objects.create(cluster=school.cluster, name="Larkrise panel")
    head = make_user(Role.HEADTEACHER, school=school)
    PanelMember.objects.create(
        panel=panel, user=head, role="headteacher", school=school, start_date=date(2026, 1, 1)
    )
    assert list(visible_panels(fresh(head))) == [panel]
    head.memberships.update(ends_on=timezone.localdate())
    assert list(visible_panels(fresh(head))) == []


def test_a_leaver_is_not_told_of_her_old_schools_requests(leaver, school):
    from portal.notifications import school_sencos, school_staff

    other = make_user(Role.SENCO, school=school)
    fr = FundingRequestFactory(school=school, created_by=other)
    assert leaver in school_sencos(fr=fr)
    leaver.memberships.update(ends_on=timezone.localdate())
    assert leaver not in school_sencos(fr=fr)
    assert leaver not in school_staff(fr=fr)
    # Nor of the requests she made there.
    hers = FundingRequestFactory(school=school, created_by=leaver)
    assert leaver not in school_sencos(fr=hers) and leaver not in school_staff(fr=hers)
    assert other in school_staff(fr=hers)


# --- The LA ends a leaver's membership (accounts.services.end_membership) -------------


@pytest.fixture
def staying(school):
    return make_user(Role.SENCO, school=school, username="grace", first_name="Grace")


@pytest.fixture
def officer():
    return make_user(Role.LA_SEND_OFFICER, username="olive", first_name="Olive")


def end_form(day: date, **extra) -> dict:
    return {"ends_on_0": day.day, "ends_on_1": day.month, "ends_on_2": day.year, **extra}


def test_the_la_ends_a_leaving_sencos_membership_and_hands_her_drafts_over(
    client, school, leaver, staying, officer, monkeypatch
):
    from auditlog.models import LogEntry

    from funding.models import FundingRequest, RequestEvent
    from portal.models import Notification

    drafts = [
        FundingRequestFactory(school=school, created_by=leaver, pupil_initials=initials)
        for initials in ("JB", "KC")
    ]
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)

    # The officer finds Ada on the people page and opens the end of her SENCO membership.
    client.force_login(officer)
    people = client.get(reverse("people:list"), {"q": "ada", "school": "Larkrise"})
    assert [p.username for p in people.context["page"].object_list] == ["ada"]
    membership = leaver.memberships.get()
    end_url = reverse("people:end", args=[membership.pk])
    assert end_url in people.content.decode()
    page = client.get(end_url)
    assert page.status_code == 200
    assert "2 draft requests" in page.content.decode()
    assert [u.username for u in page.context["form"].fields["hand_to"].queryset] == ["grace"]

    # She ends it from tomorrow, handing both drafts to Grace.
    done = client.post(end_url, end_form(tomorrow, hand_to=staying.pk))
    assert done.status_code == 302, done.content.decode()
    membership.refresh_from_db()
    assert membership.ends_on == tomorrow
    assert {fr.created_by_id for fr in FundingRequest.objects.filter(pk__in=[d.pk for d in drafts])} == {staying.pk}  # fmt: skip
    assert RequestEvent.objects.filter(request__in=drafts, kind="handed_over").count() == 2
    # Both are told; the change is audited in the officer's name.
    told_ada = Notification.objects.get(user=leaver)
    assert "ends" in told_ada.subject and "handed to Grace" in told_ada.body
    told_grace = Notification.objects.get(user=staying)
    assert told_grace.subject.startswith("2 draft requests handed to you")
    entry = LogEntry.objects.get_for_object(membership).latest("timestamp")
    assert entry.actor == officer and "ends_on" in entry.changes_dict
    # The people page shows the end, and offers no second one.
    listed = client.get(reverse("people:list"), {"q": "ada"}).content.decode()
    assert f"{tomorrow:%-d %b %Y}" in listed and end_url not in listed

    # Ada still works today; Grace has the drafts.
    ada = client.__class__()
    ada.force_login(leaver)
    assert ada.get(reverse("funding:detail", args=[drafts[0].pk])).status_code == 200
    grace = client.__class__()
    grace.force_login(staying)
    assert (
        "Draft: Exceptional Needs Grant for JB" in grace.get(reverse("dashboard")).content.decode()
    )

    # The next day Ada is refused.
    live_on(monkeypatch, tomorrow)
    assert ada.get(reverse("funding:detail", args=[drafts[0].pk])).status_code == 404
    assert ada.get(f"/api/v1/requests/{drafts[0].pk}/").status_code == 404
    assert grace.get(reverse("funding:detail", args=[drafts[0].pk])).status_code == 200


def test_bad_dates_are_refused_in_plain_english_and_nothing_changes(
    client, school, leaver, officer
):
    membership = leaver.memberships.get()
    url = reverse("people:end", args=[membership.pk])
    client.force_login(officer)
    today = timezone.localdate()

    def refused(data) -> str:
        response = client.post(url, data)
        assert response.status_code == 400
        membership.refresh_from_db()
        assert membership.ends_on is None
        return response.content.decode()

    assert "Enter the date the membership ends" in refused({})
    assert "must be a real date" in refused(end_form(today, ends_on_1=13))
    assert "must be today or later" in refused(end_form(today - timedelta(days=1)))
    # Not before it began.
    Membership.objects.filter(pk=membership.pk).update(created=timezone.now() + timedelta(days=10))
    assert "on or after the day it began" in refused(end_form(today + timedelta(days=2)))


def test_drafts_need_another_senco_and_without_one_the_end_is_refused(
    client, school, leaver, officer
):
    FundingRequestFactory(school=school, created_by=leaver)
    membership = leaver.memberships.get()
    url = reverse("people:end", args=[membership.pk])
    client.force_login(officer)
    page = client.get(url).content.decode()
    assert "There is no other SENCO at Larkrise Primary" in page
    response = client.post(url, end_form(timezone.localdate()))
    assert response.status_code == 400
    assert "no other SENCO there to hand them to" in response.content.decode()
    membership.refresh_from_db()
    assert membership.ends_on is None


def test_the_drafts_must_go_to_a_senco_of_the_same_school(client, school, leaver, staying, officer):
    FundingRequestFactory(school=school, created_by=leaver)
    elsewhere = make_user(Role.SENCO, school=SchoolFactory())
    membership = leaver.memberships.get()
    client.force_login(officer)
    url = reverse("people:end", args=[membership.pk])
    missing = client.post(url, end_form(timezone.localdate()))
    assert "Choose the SENCO to hand Ada" in missing.content.decode()
    with pytest.raises(Exception, match="is not another SENCO at Larkrise Primary"):
        from accounts.services import end_membership

        end_membership(officer, membership, timezone.localdate(), elsewhere)
    membership.refresh_from_db()
    assert membership.ends_on is None


def test_an_ended_membership_cannot_be_ended_again(client, leaver, officer):
    membership = leaver.memberships.get()
    membership.ends_on = timezone.localdate() + timedelta(days=5)
    membership.save()
    client.force_login(officer)
    url = reverse("people:end", args=[membership.pk])
    assert "already ends on" in client.get(url).content.decode()
    answer = client.post(
        f"/api/v1/memberships/{membership.pk}/end/",
        {"ends_on": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert answer.status_code == 409 and "already ends on" in answer.json()["detail"]
    membership.refresh_from_db()
    assert membership.ends_on == timezone.localdate() + timedelta(days=5)


def test_the_api_ends_a_membership_with_the_same_rules(client, school, leaver, staying, officer):
    from funding.models import FundingRequest

    draft = FundingRequestFactory(school=school, created_by=leaver)
    membership = leaver.memberships.get()
    url = f"/api/v1/memberships/{membership.pk}/end/"
    tomorrow = timezone.localdate() + timedelta(days=1)

    # Outside the LA SEND officer's scope: not found.
    client.force_login(staying)
    assert client.post(url, {"ends_on": tomorrow.isoformat()}, content_type="application/json").status_code == 404  # fmt: skip
    client.force_login(officer)
    assert client.post("/api/v1/memberships/999999/end/", {}, content_type="application/json").status_code == 404  # fmt: skip

    bad = client.post(url, {"ends_on": "2001-01-01"}, content_type="application/json")
    assert bad.status_code == 400 and "today or later" in bad.json()["ends_on"][0]
    no_taker = client.post(url, {"ends_on": tomorrow.isoformat()}, content_type="application/json")
    assert no_taker.status_code == 400 and "hand_to" in no_taker.json()
    unknown = client.post(
        url, {"ends_on": tomorrow.isoformat(), "hand_to": "nobody"}, content_type="application/json"
    )
    assert unknown.status_code == 400 and "nobody" in unknown.json()["hand_to"][0]
    membership.refresh_from_db()
    assert membership.ends_on is None

    ended = client.post(
        url, {"ends_on": tomorrow.isoformat(), "hand_to": "grace"}, content_type="application/json"
    )
    assert ended.status_code == 200, ended.json()
    assert ended.json()["ends_on"] == tomorrow.isoformat() and ended.json()["current"] is True
    assert FundingRequest.objects.get(pk=draft.pk).created_by_id == staying.pk
