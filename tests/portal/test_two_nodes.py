"""The portal on more than one machine: two gunicorn web nodes, two Celery workers and
one beat (the Procfile's commands, DEBUG off), sharing only PostgreSQL, Redis and the
object store. People move between nodes as a load balancer sends them, and nothing they
see depends on the node: a document uploaded on A is downloaded on B, a report asked
for on B is read on A, a session opened on A works on B, and a dashboard polled on A
sees a decision taken on B. No process writes a file to its own disk."""

import os
from datetime import timedelta

import pytest
from django.conf import global_settings
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from funding.models import DocumentKind, FundingRequest, RequestDocument
from funding.services import submit_request, triage_request
from panels.services import schedule_request
from reports.models import ReportRun, RunStatus
from tests.factories import PASSWORD, SchoolYearStatsFactory
from tests.funding.factories import PDF, draft_request
from tests.panels.factories import build_panel, head_of_new_school, meeting_on, ready_request
from tests.stack import Browser, Stack, wait_until

HAVE_SERVICES = bool(django_settings.USING_POSTGRES and os.environ.get("REDIS_URL"))

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not HAVE_SERVICES and not os.environ.get("CI"),
        reason="two nodes need PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); CI has both",
    ),
]


@pytest.fixture
def county(settings, school_a, senco_a, send_officer):
    """A cluster with a panel meeting today, an urgent request ready for chair's action,
    a SENCO's draft and a year of school figures. Real password hashes: the nodes sign
    people in with the production hashers, not the suite's fast one."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    cluster = school_a.cluster
    chair = head_of_new_school(cluster, "chair_head")
    reader = head_of_new_school(cluster, "head_d")
    heads = [chair, reader, head_of_new_school(cluster, "head_e")]
    panel = build_panel(cluster, send_officer, heads)
    meeting_on(panel, timezone.localdate() + timedelta(days=14))
    urgent = ready_request(heads[2].memberships.get().school, request_type="urgent")
    # Out of the way of the references the service gives as requests are submitted.
    FundingRequest.objects.filter(pk=urgent.pk).update(reference="ENG-2026-90001")
    draft = draft_request(senco_a)
    for school in cluster.schools.all():
        SchoolYearStatsFactory(school=school, academic_year=2025)
    for user in (senco_a, send_officer, chair, reader):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return {"chair": chair, "reader": reader, "urgent": urgent, "draft": draft}


@pytest.fixture
def two_nodes(transactional_db, object_store_server, tmp_path):
    """The stack on the test database itself, so what the test wrote is what it serves."""
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    stack = Stack(
        database_url=f"{base}/{connection.settings_dict['NAME']}",
        redis_url=os.environ["REDIS_URL"],
        workdir=tmp_path / "stack",
        web_nodes=2,
        workers=2,
        web_concurrency=1,
        migrate=False,  # pytest-django has migrated it
        object_store_url=object_store_server.url,
        env={"OTP_ENFORCED": "false"},  # two-factor has its own tests
    )
    with stack:
        yield stack
    # Nothing on any node's disk: every file went to the shared store.
    assert not any(stack.private_media_root.rglob("*")), list(stack.private_media_root.rglob("*"))


def test_people_move_between_two_nodes_and_see_the_same_portal(
    two_nodes, county, senco_a, send_officer
):
    node_a, node_b = two_nodes.urls
    try:
        _the_story(two_nodes, node_a, node_b, county, senco_a, send_officer)
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n\n{two_nodes.logs()}") from failure


def _the_story(stack, node_a, node_b, county, senco_a, send_officer):
    # The SENCO uploads a support plan on node A.
    senco = Browser(node_a).sign_in("senco_a", PASSWORD)
    draft = county["draft"]
    uploaded = senco.post(
        f"/requests/{draft.pk}/documents/",
        {"kind": DocumentKind.SUPPORT_PLAN},
        files={"file": ("support-plan.pdf", PDF, "application/pdf")},
    )
    assert uploaded.status_code == 200, uploaded.text[-2000:]
    document = RequestDocument.objects.get(request=draft)
    assert stack.bucket_names() == [document.file.name]

    # A session opened on A works on B: the same SENCO, the same draft.
    senco.base = node_b
    page = senco.get(f"/requests/{draft.pk}/documents/")
    assert page.status_code == 200 and "support-plan.pdf" in page.text

    # The LA puts it on the panel's agenda; a panel member downloads it on node B.
    submitted = submit_request(FundingRequest.objects.get(pk=draft.pk), user=senco_a)
    triage_request(submitted, user=send_officer)
    schedule_request(FundingRequest.objects.get(pk=draft.pk), by=send_officer)
    reader = Browser(node_b).sign_in("head_d", PASSWORD)
    downloaded = reader.get(f"/requests/{draft.pk}/documents/{document.pk}/")
    assert downloaded.status_code == 200 and downloaded.content == PDF

    # An LA officer asks for a report on node B; a worker produces it; node A shows it.
    officer = Browser(node_b).sign_in("send_officer", PASSWORD)
    asked = officer.post(
        "/reports/",
        {"kind": "inclusiveness", "scope": "county", "academic_year": "2025"},
    )
    assert asked.status_code == 200, asked.text[-2000:]
    run = ReportRun.objects.get()
    officer.base = node_a  # the load balancer sends the officer's next request to A

    def finished():
        answer = officer.get(f"/api/v1/report-runs/{run.pk}/").json()
        return answer if answer["status"] in (RunStatus.SUCCEEDED, RunStatus.FAILED) else None

    answer = wait_until(finished, 60, "a worker to produce the report")
    assert answer["status"] == RunStatus.SUCCEEDED, answer
    run.refresh_from_db()
    csv = officer.get(f"/reports/{run.pk}/download/csv/")
    assert csv.status_code == 200 and csv.content == stack.read(run.csv_file.name)

    # The county dashboard on A, polled as the page polls it: nothing new yet.
    board = officer.get("/budgets/")
    assert board.status_code == 200
    live = _live_url(board.text)
    assert officer.get(live).status_code == 204

    # The chair proposes a decision by chair's action on B; the officer confirms it on B.
    urgent = county["urgent"]
    chair = Browser(node_b).sign_in("chair_head", PASSWORD)
    review = timezone.localdate() + timedelta(days=90)
    proposed = chair.post(
        f"/panels/requests/{urgent.pk}/chairs-action/",
        {
            "outcome": "approved",
            "officer": str(send_officer.pk),
            "rationale": "The placement is at risk this week.",
            "review_date_0": str(review.day),
            "review_date_1": str(review.month),
            "review_date_2": str(review.year),
        },
    )
    assert proposed.status_code == 200 and "/panels/chairs-actions/" in proposed.url, proposed.url
    officer.base = node_b
    confirmed = officer.post(
        proposed.url.replace(node_b, "") + "confirm/", page=proposed.url.replace(node_b, "")
    )
    assert confirmed.status_code == 200 and "/panels/decisions/" in confirmed.url, confirmed.url
    assert FundingRequest.objects.get(pk=urgent.pk).state == "approved"

    # The dashboard on A sees it on its next poll.
    officer.base = node_a
    fresh = officer.get(live)
    assert fresh.status_code == 200 and "£7,500.00" in fresh.text
    stack.check_alive()


def _live_url(page: str) -> str:
    import html
    import re

    found = re.search(r'hx-get="(/budgets/live/[^"]*)"', page)
    assert found, "the county dashboard does not poll"
    return html.unescape(found.group(1))
