"""The agenda and the chair's meeting page cost the same number of queries at any size."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from panels import services
from panels.models import ConflictDeclaration, ModerationView

from .factories import build_panel, head_of_new_school, meeting_on, member, ready_request

User = get_user_model()


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


def with_room(meeting, vice_chair, cluster):
    """A decision recorded (the budget in the room has an award) and a report run for the
    cluster (every item shows its school's figures)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from reports.models import ReportKind, ReportRun, RunStatus, ScopeKind

    # Item 1 comes from the chair's own school: the vice-chair chairs and decides it.
    services.record_decision(
        meeting.items.get(order=1), by=vice_chair, outcome="approved",
        amount=Decimal("7500.00"), rationale="Clear.",
        review_date=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip
    urns = list(cluster.schools.values_list("urn", flat=True))
    for kind in (ReportKind.FAIR_SHARE, ReportKind.INCLUSIVENESS):
        ReportRun.objects.create(
            kind=kind, scope_kind=ScopeKind.CLUSTER, cluster=cluster, academic_year=2025,
            status=RunStatus.SUCCEEDED, finished_at=timezone.now(),
            result={"sections": [{"key": "schools", "rows": [
                {"urn": u, "fair_share_ratio": 0.9, "magnet": True} for u in urns]}]},
            html_file="r.html", csv_file="r.csv", xlsx_file="r.xlsx", pdf_file="r.pdf",
        )  # fmt: skip
    return meeting.items.get(order=2)


# The budget in the room and each item's school context add a fixed four queries (the
# budgets, the schools' awards, the latest report runs and their figures); the header's
# unread count one more.
MEETING_PAGE_QUERIES = {"chair": 18, "member": 16}
ITEM_PAGE_QUERIES = {"chair": 24, "member": 20}


@pytest.mark.django_db
def test_the_meeting_and_item_pages_with_the_budget_in_the_room_stay_constant(
    client, send_officer, today, django_assert_max_num_queries
):
    from tests.factories import ClusterFactory

    small_cluster, large_cluster = ClusterFactory(), ClusterFactory()
    small, small_chair, small_vice = build(
        small_cluster, send_officer, today, heads=4, items=2, tag="rs"
    )
    large, large_chair, large_vice = build(
        large_cluster, send_officer, today, heads=12, items=25, tag="rl"
    )
    small_item = with_room(small, small_vice, small_cluster)
    large_item = with_room(large, large_vice, large_cluster)
    # A member who reads item 2's papers (not from its school, no conflict declared).
    small_member, large_member = (User.objects.get(username=f"{t}_head2") for t in ("rs", "rl"))
    users = {"chair": (small_chair, large_chair), "member": (small_member, large_member)}
    for who, (small_user, large_user) in users.items():
        for name, obj_small, obj_large, limit in (
            ("meeting", small, large, MEETING_PAGE_QUERIES[who]),
            ("item", small_item, large_item, ITEM_PAGE_QUERIES[who]),
        ):
            n_small = count(client, small_user, reverse(f"panels:{name}", args=[obj_small.pk]))
            n_large = count(client, large_user, reverse(f"panels:{name}", args=[obj_large.pk]))
            print(f"{who} {name} page: {n_small} queries (2 items) = {n_large} (25 items)")
            assert n_small == n_large, (who, name, n_small, n_large)
            for user, obj in ((small_user, obj_small), (large_user, obj_large)):
                client.force_login(user)
                with django_assert_max_num_queries(limit):
                    page = client.get(reverse(f"panels:{name}", args=[obj.pk]))
                assert "The budget in the room" in page.text
    client.force_login(large_chair)
    assert "fair share 0.90" in client.get(reverse("panels:meeting", args=[large.pk])).text
