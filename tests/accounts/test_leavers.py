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
