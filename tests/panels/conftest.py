from datetime import timedelta

import pytest
from django.utils import timezone

from .factories import build_panel, head_of_new_school, meeting_on, ready_request


@pytest.fixture
def cluster(school_a):
    return school_a.cluster


@pytest.fixture
def chair_head(cluster):
    return head_of_new_school(cluster, "chair_head")


@pytest.fixture
def heads(cluster, chair_head, head_a):
    """Four heads: the chair first (so the rota gives them today's meeting), head_a last."""
    return [
        chair_head,
        head_of_new_school(cluster, "head_d"),
        head_of_new_school(cluster, "head_e"),
        head_a,
    ]


@pytest.fixture
def panel(cluster, send_officer, heads):
    return build_panel(cluster, send_officer, heads, extra_members=1)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def meeting(panel, today):
    """Today's meeting, still open for requests today."""
    return meeting_on(panel, today)


@pytest.fixture
def next_meeting(panel, today, meeting):
    return meeting_on(panel, today + timedelta(days=28), closing=today + timedelta(days=18))


@pytest.fixture
def request_a(school_a, senco_a):
    """A ready request from head_a's school (head_a is recused from it)."""
    return ready_request(school_a, created_by=senco_a)


@pytest.fixture
def request_d(heads):
    """A ready request from head_d's school."""
    school = heads[1].memberships.get().school
    return ready_request(school)
