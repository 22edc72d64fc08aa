# ruff: noqa: F811 -- the panel fixtures are imported, then asked for by name
"""A leaving headteacher's seat on the panel ends with their membership, through the
panels app's own service: a change of a published meeting's chair is shown to confirm,
as on the panel's page, and nothing is saved until then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Role
from panels import services as panel_services
from tests.panels.conftest import chair_head, cluster, heads, panel  # noqa: F401
from tests.panels.factories import member

pytestmark = pytest.mark.django_db


def test_ending_a_heads_membership_ends_their_seat_once_the_officer_confirms(
    client, panel, send_officer, heads
):
    today = timezone.localdate()
    panel_services.generate_year(
        panel, by=send_officer, first_date=today + timedelta(days=30), today=today
    )
    leaver = heads[1]
    seat = member(panel, leaver)
    membership = leaver.memberships.get(role=Role.HEADTEACHER)
    ends = today + timedelta(days=100)
    url = reverse("people:end", args=[membership.pk])
    form = {"ends_on_0": ends.day, "ends_on_1": ends.month, "ends_on_2": ends.year}
    client.force_login(send_officer)

    asked = client.post(url, form)
    assert asked.status_code == 409
    assert "Confirm the changes of chair" in asked.content.decode()
    assert asked.context["changes"]
    membership.refresh_from_db()
    seat.refresh_from_db()
    assert membership.ends_on is None and seat.end_date is None

    confirmed = client.post(url, {**form, "confirm_chair_changes": "yes"})
    assert confirmed.status_code == 302
    membership.refresh_from_db()
    seat.refresh_from_db()
    assert membership.ends_on == ends
    # A seat's end date is its last day: the day before the membership ends.
    assert seat.end_date == ends - timedelta(days=1)
    assert not panel.meetings.filter(date__gte=ends, chair=seat).exists()
