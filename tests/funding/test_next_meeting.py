"""While drafting, the SENCO sees when the panel that will hear the request meets and
when it closes for requests: the cluster's own panel, or the district's where the LA
runs one panel for the district."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Role
from panels import services as panel_services
from panels.models import Meeting
from tests.factories import ClusterFactory, SchoolFactory, make_user

from .factories import draft_request

pytestmark = pytest.mark.django_db


def next_panel(page: str) -> str:
    start = page.index('data-testid="next-panel">') + len('data-testid="next-panel">')
    return page[start : page.index("<", start)]


def test_a_school_served_by_a_district_panel_sees_its_next_meeting_and_closing_date(
    client, send_officer
):
    today = timezone.localdate()
    cluster = ClusterFactory()
    senco = make_user(Role.SENCO, school=SchoolFactory(cluster=cluster), username="senco_d")
    panel = panel_services.create_panel(district=cluster.district, by=send_officer)
    # A past meeting, one closed for requests already, and the next one still open.
    Meeting.objects.create(
        panel=panel, date=today - timedelta(days=7), closing_date=today - timedelta(days=14)
    )
    Meeting.objects.create(
        panel=panel, date=today + timedelta(days=3), closing_date=today - timedelta(days=1)
    )
    Meeting.objects.create(
        panel=panel, date=today + timedelta(days=30), closing_date=today + timedelta(days=20)
    )
    fr = draft_request(senco)
    client.force_login(senco)

    for page in ("funding:provision", "funding:check"):
        shown = next_panel(client.get(reverse(page, args=[fr.pk])).content.decode())
        assert shown == (
            f"Meets {today + timedelta(days=30):%-d %B %Y}; "
            f"requests close {today + timedelta(days=20):%-d %B %Y}"
        ), page


def test_without_a_panel_the_school_is_told_it_is_not_yet_set(client, senco_a):
    fr = draft_request(senco_a)
    client.force_login(senco_a)
    page = client.get(reverse("funding:provision", args=[fr.pk])).content.decode()
    assert next_panel(page) == "Not yet set"
