"""The triage queue and "my requests" cost the same number of queries at any size."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from funding.models import FundingRequest, ProvisionLine, ReviewCycle
from tests.factories import ClusterFactory, SchoolFactory


def make_requests(n, *, school, stream, user, state="submitted", start=0):
    now = timezone.now()
    rows = FundingRequest.objects.bulk_create(
        [
            FundingRequest(
                reference=f"ENG-2026-{start + i:05d}" if state != "draft" else None,
                stream=stream, school=school, cluster_id=school.cluster_id, created_by=user,
                state=state, submitted_at=now - timedelta(days=i % 40),
                pupil_initials="AB", year_group="3", primary_need="SEMH",
                total_cost=Decimal("9000"), school_contribution=Decimal("6000"),
                amount_requested=Decimal("3000"),
            )
            for i in range(n)
        ]
    )  # fmt: skip
    ReviewCycle.objects.bulk_create(
        [ReviewCycle(request=r, assess="a", plan="p", duration_weeks=6, impact="i") for r in rows]
    )
    ProvisionLine.objects.bulk_create(
        [
            ProvisionLine(request=r, description="TA", hours_per_week=Decimal("10"),
                          weeks=Decimal("30"), hourly_rate=Decimal("30"))
            for r in rows
        ]
    )  # fmt: skip
    return rows


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize(
    "who, url, params",
    [
        ("send_officer", "funding:triage", {}),
        ("send_officer", "funding:list", {"sort": "amount", "need": "SEMH"}),
        ("senco_a", "funding:list", {}),
        ("finance_officer", "funding:list", {}),
    ],
)
def test_list_pages_cost_a_constant_number_of_queries(
    request, who, url, params, senco_a, stream, login, django_assert_max_num_queries
):
    user = request.getfixturevalue(who)
    school = senco_a.memberships.get().school
    other = SchoolFactory(cluster=ClusterFactory())
    client = login(user)
    make_requests(3, school=school, stream=stream, user=senco_a)
    small, _ = count_queries(client, reverse(url), params)
    make_requests(60, school=school, stream=stream, user=senco_a, start=100)
    make_requests(60, school=other, stream=stream, user=senco_a, start=200)
    make_requests(20, school=school, stream=stream, user=senco_a, state="draft")
    with django_assert_max_num_queries(small):
        large, response = count_queries(client, reverse(url), params)
    assert "Page 1 of" in response.content.decode()


def test_the_api_list_costs_a_constant_number_of_queries(senco_a, send_officer, stream):
    api = APIClient()
    api.force_authenticate(send_officer)
    school = senco_a.memberships.get().school
    make_requests(2, school=school, stream=stream, user=senco_a)
    small, _ = count_queries(api, "/api/v1/requests/")
    make_requests(80, school=school, stream=stream, user=senco_a, start=100)
    large, response = count_queries(api, "/api/v1/requests/")
    assert large <= small and response.data["count"] == 82


def test_the_queue_shows_age_in_working_days_against_the_target(
    senco_a, send_officer, stream, login, settings
):
    settings.TARGET_WORKING_DAYS_TO_DECISION = 15
    school = senco_a.memberships.get().school
    [fr] = make_requests(1, school=school, stream=stream, user=senco_a)
    # Submitted on Thursday 18 December 2025; on Monday 12 January 2026 it has waited 14
    # working days: 19, 22-24, 29-31 Dec, 2, 5-9, 12 Jan (25, 26 Dec and 1 Jan are holidays).
    from funding import selectors

    fr.submitted_at = timezone.make_aware(timezone.datetime(2025, 12, 18, 10, 0))
    age = selectors.request_age(fr, today=timezone.datetime(2026, 1, 12).date())
    assert (age.working_days, age.overdue, age.due_soon) == (14, False, True)
    page = login(send_officer).get(reverse("funding:triage")).content.decode()
    assert "of 15 days" in page
