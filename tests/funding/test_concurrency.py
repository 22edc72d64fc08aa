"""Submitting at once: one submission, one reference, and references without gaps."""

import os
import threading

import pytest
from django.conf import settings
from django.db import connection

from funding import services
from funding.models import FundingRequest, ReferenceCounter, RequestEvent

from .factories import draft_request

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.USING_POSTGRES and not os.environ.get("CI"),
        reason="row locks need PostgreSQL (set DATABASE_URL); CI always runs this",
    ),
]


def run_at_once(calls):
    """Run each call in its own thread and connection, released together."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 -- the test inspects what each got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_submitting_twice_at_once_gives_one_submission_and_one_reference(senco_a, stream):
    fr = draft_request(senco_a)
    results = run_at_once([lambda: services.submit_request(fr, user=senco_a)] * 2)
    ok = [r for r in results if isinstance(r, FundingRequest)]
    refused = [r for r in results if isinstance(r, services.TransitionError)]
    assert len(ok) == 1 and len(refused) == 1, results
    assert "submitted" in refused[0].message
    fr.refresh_from_db()
    assert fr.state == "submitted" and fr.reference.endswith("-00001")
    assert RequestEvent.objects.filter(request=fr, kind="submit").count() == 1
    assert ReferenceCounter.objects.get().last_number == 1


def test_many_schools_submitting_at_once_get_gap_free_references(senco_a, stream):
    drafts = [draft_request(senco_a) for _ in range(8)]
    results = run_at_once(
        [lambda fr=fr: services.submit_request(fr, user=senco_a) for fr in drafts]
    )
    assert all(isinstance(r, FundingRequest) for r in results), results
    numbers = sorted(
        int(ref.rsplit("-", 1)[1])
        for ref in FundingRequest.objects.values_list("reference", flat=True)
    )
    assert numbers == list(range(1, 9))
    assert ReferenceCounter.objects.get().last_number == 8
