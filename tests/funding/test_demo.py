"""The national demo writes its requests in bulk, consistent with what the services make."""

import random
from collections import Counter, defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.utils import timezone

from clusters.models import Role
from demo import funding as demo
from demo.context import DemoContext
from funding import rules, services
from funding.models import FundingRequest, ReferenceCounter, RequestEvent
from funding.workflow import State
from tests.factories import ClusterFactory, SchoolFactory, make_user

from .factories import draft_request


@pytest.fixture
def national(db, send_officer):
    """Three clusters of four schools, a SENCO each, as the clusters step would leave them."""
    schools = [SchoolFactory(cluster=c) for c in ClusterFactory.create_batch(3) for _ in range(4)]
    sencos = {s.pk: make_user(Role.SENCO, school=s) for s in schools}
    ctx = DemoContext(
        rng=random.Random(7), today=timezone.localdate(), out=StringIO(), scale="national"
    )
    ctx.shared.update(
        schools=schools,
        sencos=sencos,
        demo_school=schools[0],
        users={"la_send_officer": send_officer},
    )
    return ctx


def test_national_scale_writes_its_requests_in_a_constant_number_of_queries(
    national, django_assert_max_num_queries
):
    with django_assert_max_num_queries(60):
        demo.load(national)
    assert FundingRequest.objects.count() == 3 * demo.NATIONAL_REQUESTS_PER_CLUSTER
    states = Counter(FundingRequest.objects.values_list("state", flat=True))
    assert set(states) == {"draft", "submitted", "returned", "ready", "withdrawn"}
    assert states["ready"] > states["submitted"]
    shared = national.shared["requests"]
    assert sum(len(v) for v in shared.values()) == FundingRequest.objects.count()
    assert all(fr.pk and fr.state == state for state, frs in shared.items() for fr in frs)


def test_references_are_numbered_as_the_reference_counter_would_and_carry_on(national, senco_a):
    demo.load(national)
    by_key = defaultdict(list)
    submitted = FundingRequest.objects.exclude(state="draft").order_by("submitted_at", "pk")
    for fr in submitted.select_related("stream"):
        code, year, number = fr.reference.split("-")
        assert code == fr.stream.code
        by_key[(fr.stream_id, int(year))].append(int(number))
    assert not FundingRequest.objects.filter(state="draft", reference__isnull=False).exists()
    for (stream_id, year), numbers in by_key.items():
        # Gap-free, in order of submission, and the counter stands at the last one.
        assert numbers == list(range(1, len(numbers) + 1))
        assert ReferenceCounter.objects.get(stream_id=stream_id, year=year).last_number == len(
            numbers
        )

    # A SENCO submitting through the service afterwards takes the next number.
    eng = national.shared["streams"]["ENG"]
    fr = draft_request(senco_a, stream=eng)
    fr = services.submit_request(fr, user=senco_a)
    year = timezone.localdate().year
    assert fr.reference == f"ENG-{year}-{len(by_key[(eng.pk, year)]) + 1:05d}"


def test_each_request_reads_as_if_a_senco_had_made_it(national):
    demo.load(national)
    today = national.today
    for fr in FundingRequest.objects.prefetch_related("cycles", "provision_lines", "events"):
        events = list(fr.events.all())
        assert events[0].kind == "created" and events[-1].to_state == fr.state
        assert [e.from_state for e in events[1:]] == [e.to_state for e in events[:-1]]
        # Back-dated over the past year, not all stamped with the moment of loading.
        assert fr.created_at.date() <= today - timedelta(days=1)
        assert fr.created_at == events[0].created_at
        total, contribution, requested = rules.money(fr, fr.provision_lines.all())
        assert (fr.total_cost, fr.school_contribution, fr.amount_requested) == (
            total,
            contribution,
            requested,
        )
        if fr.state != State.DRAFT:
            # What the submit guards would have checked holds.
            assert not any(rules.missing_by_section(fr).values())
            assert not rules.stream_rule_problems(fr, today=today)
            assert fr.submitted_at == events[1].created_at
    kinds = Counter(RequestEvent.objects.values_list("kind", flat=True))
    assert kinds["return"] >= kinds["resubmit"] > 0 and kinds["triage"] > 0
