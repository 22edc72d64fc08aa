"""A fair clock: the LA's time to decision pauses while the school holds a returned request,
and the triage queue, the request page, the API, the export and the inclusiveness report
give the same figures."""

import csv
import io
import re
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from funding import selectors, services
from funding.models import FundingRequest, RequestEvent
from funding.selectors import Move, decision_clock, working_days_between
from reports import services as report_services
from reports.models import ReportKind, ReportRun, ScopeKind
from tests.factories import SchoolYearStatsFactory

from .factories import decline, submitted_request
from .helpers import text


def at(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=10))


def returned_and_answered(senco, officer, stream, *, submitted, returned, answered):
    """A request submitted, returned for more information and resubmitted on those days
    (the history is replayed: each event is dated the day it happened)."""
    fr = submitted_request(senco, stream=stream, pupil_initials="FC")
    services.return_request(fr, user=officer, message="Send the speech therapist's report.")
    services.resubmit_request(fr, user=senco, message="Report attached.")
    for kind, day in (("submit", submitted), ("return", returned), ("resubmit", answered)):
        RequestEvent.objects.filter(request=fr, kind=kind).update(created_at=at(day))
    FundingRequest.objects.filter(pk=fr.pk).update(submitted_at=at(submitted))
    return FundingRequest.objects.get(pk=fr.pk)


def queue_figures(page: str, reference: str) -> tuple[int, int]:
    """The working days with the LA and since first submitted on the queue's row."""
    row = page[page.index(reference) :]
    row = row[: row.index("</tr>")]
    return _figures(row)


def _figures(html: str) -> tuple[int, int]:
    with_la = re.search(r'data-testid="clock-with-la">(?:<strong[^>]*>)?(\d+) of', html)
    since = re.search(r'data-testid="clock-since">(\d+) working day', html)
    return int(with_la.group(1)), int(since.group(1))


def test_a_returned_request_pauses_the_clock_and_every_view_agrees(
    senco_a, send_officer, stream, login, settings
):
    settings.TARGET_WORKING_DAYS_TO_DECISION = 15
    today = timezone.localdate()
    submitted, returned, answered = (today - timedelta(days=d) for d in (30, 20, 8))
    fr = returned_and_answered(
        senco_a, send_officer, stream, submitted=submitted, returned=returned, answered=answered
    )
    # The school held it from the return to its answer: those days are not the LA's.
    with_la = working_days_between(submitted, returned) + working_days_between(answered, today)
    since = working_days_between(submitted, today)
    assert 0 < with_la < since

    officer = login(send_officer)
    # The triage queue (it is back with the LA, waiting for triage).
    queue = text(officer.get(reverse("funding:triage")))
    assert queue_figures(queue, fr.reference) == (with_la, since)
    # The request page, for the LA and for the school.
    for client in (officer, login(senco_a)):
        page = text(client.get(reverse("funding:detail", args=[fr.pk])))
        clock = page[page.index('data-testid="clock"') :]
        assert _figures(clock[: clock.index("</dd>")]) == (with_la, since)
    # The API, the one request and the list.
    api = APIClient()
    api.force_authenticate(send_officer)
    one = api.get(f"/api/v1/requests/{fr.pk}/").json()["clock"]
    assert one == {
        "working_days_with_la": with_la,
        "working_days_since_first_submitted": since,
        "target_working_days": 15,
        "paused": False,
        "stopped": False,
        "overdue": with_la > 15,
    }
    [listed] = api.get("/api/v1/requests/").json()["results"]
    assert listed["clock"] == one
    # The export the LA reports from.
    rows = list(csv.reader(io.StringIO(b"".join(
        officer.get(reverse("funding:export")).streaming_content).decode())))  # fmt: skip
    header, [row] = rows[0], rows[1:]
    assert row[header.index("Working days with the LA")] == str(with_la)
    assert row[header.index("Working days since first submitted")] == str(since)

    # The panel declines it two days ago: the clock stops there, the same on every view,
    # and the inclusiveness report of its year counts it among its cluster's decisions.
    decided_on = today - timedelta(days=2)
    decline(fr)
    RequestEvent.objects.filter(request=fr, kind="decline").update(created_at=at(decided_on))
    with_la = working_days_between(submitted, returned) + working_days_between(answered, decided_on)
    since = working_days_between(submitted, decided_on)
    page = text(officer.get(reverse("funding:detail", args=[fr.pk])))
    clock = page[page.index('data-testid="clock"') :]
    assert _figures(clock[: clock.index("</dd>")]) == (with_la, since)
    assert "to the decision" in clock[: clock.index("</dd>")]
    one = api.get(f"/api/v1/requests/{fr.pk}/").json()["clock"]
    assert (one["working_days_with_la"], one["working_days_since_first_submitted"]) == (
        with_la, since)  # fmt: skip
    assert one["stopped"] is True

    year = submitted.year if submitted.month >= 9 else submitted.year - 1
    SchoolYearStatsFactory(school=fr.school, academic_year=year)
    run = ReportRun.objects.create(
        kind=ReportKind.INCLUSIVENESS, scope_kind=ScopeKind.COUNTY, academic_year=year,
        parameters=report_services.default_parameters(year, None),
    )  # fmt: skip
    result, _ = report_services.compute(run)
    [cluster] = next(s for s in result["sections"] if s["key"] == "clusters")["rows"]
    assert (cluster["clock_decided"], cluster["median_with_la"]) == (1, with_la)
    assert cluster["median_since_submitted"] == since
    assert cluster["within_target_pct"] == (100.0 if with_la <= 15 else 0.0)


def test_while_the_school_holds_it_the_clock_is_paused(senco_a, send_officer, stream, login):
    fr = submitted_request(senco_a, stream=stream)
    services.return_request(fr, user=send_officer, message="Which outcomes?")
    page = text(login(send_officer).get(reverse("funding:list"), {"state": "returned"}))
    assert "Paused: with the school" in page
    age = selectors.request_age(FundingRequest.objects.get(pk=fr.pk))
    assert (age.paused, age.stopped, age.due_soon) == (True, False, False)


def test_an_la_that_counts_the_time_returned_sees_both_figures_the_same(
    senco_a, send_officer, stream, login, settings
):
    settings.DECISION_CLOCK_PAUSES_WHEN_RETURNED = False
    today = timezone.localdate()
    submitted, returned, answered = (today - timedelta(days=d) for d in (30, 20, 8))
    fr = returned_and_answered(
        senco_a, send_officer, stream, submitted=submitted, returned=returned, answered=answered
    )
    since = working_days_between(submitted, today)
    queue = text(login(send_officer).get(reverse("funding:triage")))
    assert queue_figures(queue, fr.reference) == (since, since)
    assert "the clock pauses" not in queue


def test_the_clock_stops_at_the_decision_and_runs_again_on_reconsideration():
    # Thu 8 Jan 2026 submitted; returned Mon 12th; answered Mon 19th; declined Wed 21st;
    # reconsideration asked Mon 26th; today Wed 28th.
    def day(d):
        return at(datetime(2026, 1, d).date())

    moves = [Move(day(8), "submitted"), Move(day(12), "returned"), Move(day(19), "submitted"),
             Move(day(21), "declined")]  # fmt: skip
    decided = decision_clock(day(8), "declined", moves, today=datetime(2026, 1, 28).date())
    # With the LA: 9, 12 Jan (2) and 20, 21 Jan (2); since first submitted: 9 to 21 Jan (9).
    assert (decided.working_days, decided.since_submitted, decided.stopped) == (4, 9, True)
    again = decision_clock(
        day(8),
        "submitted",
        [*moves, Move(day(26), "submitted")],
        today=datetime(2026, 1, 28).date(),
    )
    # Back with the LA on the 26th: 27, 28 Jan count too; the days declined do not.
    assert (again.working_days, again.since_submitted, again.stopped) == (6, 14, False)


def test_a_request_never_submitted_has_no_clock(senco_a, stream):
    from .factories import draft_request

    assert selectors.request_age(draft_request(senco_a, stream=stream)) is None
