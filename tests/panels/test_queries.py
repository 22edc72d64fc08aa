"""The agenda and the chair's meeting page cost the same number of queries at any size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from panels import services
from panels.models import ConflictDeclaration, ModerationView

from .factories import build_panel, head_of_new_school, meeting_on, member, ready_request


def build(cluster, officer, today, *, heads: int, items: int, tag: str):
    people = [head_of_new_school(cluster, f"{tag}_head{i}") for i in range(heads)]
    panel = build_panel(cluster, officer, people, extra_members=2)
    meeting = meeting_on(panel, today)
    schools = [p.memberships.get().school for p in people]
    made = [
        services.schedule_request(ready_request(schools[i % heads]), by=officer, meeting=meeting)
        for i in range(items)
    ]
    members = [member(panel, p) for p in people]
    for item in made:
        for m in members[1:4]:
            ModerationView.objects.get_or_create(
                item=item, member=m,
                defaults=dict(evidence_of_need=3, graduated_approach=2, likely_impact=4,
                              value_for_money=1, recommendation="approve"),
            )  # fmt: skip
        ConflictDeclaration.objects.get_or_create(item=item, member=members[-1], reason="Friend")
    # A vice-chair takes the chair for the items from the chair's own school.
    services.set_vice_chair(panel, by=officer, member=members[1])
    chair = people[0]
    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=members)
    return meeting, chair, people[1]


def count(client, user, url):
    client.force_login(user)
    client.get(url)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_meeting_page_queries_do_not_grow_with_items_and_members(
    client, send_officer, today, django_assert_max_num_queries
):
    from tests.factories import ClusterFactory

    small_cluster, large_cluster = ClusterFactory(), ClusterFactory()
    small, small_chair, small_member = build(
        small_cluster, send_officer, today, heads=3, items=2, tag="s"
    )
    large, large_chair, large_member = build(
        large_cluster, send_officer, today, heads=12, items=25, tag="l"
    )

    assert large.items.filter(acting_chair__isnull=False).exists()
    for who in ("chair", "member", "officer"):
        users = {
            "chair": (small_chair, large_chair),
            "member": (small_member, large_member),
            "officer": (send_officer, send_officer),
        }[who]
        n_small = count(client, users[0], reverse("panels:meeting", args=[small.pk]))
        n_large = count(client, users[1], reverse("panels:meeting", args=[large.pk]))
        assert n_small == n_large, (who, n_small, n_large)
        client.force_login(users[1])
        with django_assert_max_num_queries(n_small):
            client.get(reverse("panels:meeting", args=[large.pk]))
        print(f"{who}: {n_small} queries (2 items, 5 members) = {n_large} (25 items, 14 members)")
