"""The demo step leaves each cluster a panel, a rota, past decisions and tomorrow's agenda."""

import random
from datetime import timedelta
from io import StringIO

import pytest
from django.utils import timezone

from clusters.models import Role
from funding.workflow import State
from panels import demo
from panels.models import Decision, Meeting, MeetingStatus
from portal.demo import DemoContext
from tests.factories import SchoolFactory, make_user

from .factories import ready_request


@pytest.mark.django_db
def test_the_demo_gives_a_cluster_its_panel_year_and_tomorrows_agenda(cluster, send_officer):
    schools = [SchoolFactory(cluster=cluster) for _ in range(5)]
    heads = {s.pk: make_user(Role.HEADTEACHER, school=s) for s in schools}
    today = timezone.localdate()
    ctx = DemoContext(rng=random.Random(1), today=today, out=StringIO())
    ctx.shared.update(
        users={"la_send_officer": send_officer, "headteacher": heads[schools[0].pk]},
        clusters=[cluster],
        schools=schools,
        headteachers=heads,
        demo_school=schools[0],
        requests={State.READY: [ready_request(schools[i % 5]) for i in range(16)]},
    )
    demo.load(ctx)

    panel = cluster.panel
    assert panel.members.count() == 5
    assert panel.meetings.count() >= 13
    tomorrow = panel.meetings.get(date=today + timedelta(days=1))
    assert tomorrow.items.count() == 4
    assert tomorrow.chair.user == heads[schools[0].pk]
    assert panel.meetings.filter(status=MeetingStatus.CLOSED, date__lt=today).count() == 6
    assert Decision.objects.filter(item__meeting__panel=panel).exists()
    assert not Meeting.objects.filter(date__lt=today, status=MeetingStatus.SCHEDULED).exists()
