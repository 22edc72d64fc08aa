"""The daily tasks, called as Celery would call them: each does its work once, and a
second run (a retry, or beat firing twice) changes nothing."""

from datetime import timedelta

import pytest

from funding.models import FundingRequest, RequestEvent
from panels import services, tasks
from panels.models import Decision, Meeting, MeetingStatus
from portal.models import Notification

from .factories import meeting_on, member


def approved_at_todays_meeting(panel, meeting, heads, officer, fr, today, review_in=30):
    item = services.schedule_request(fr, by=officer)
    services.open_meeting(meeting, by=heads[0])
    meeting.refresh_from_db()
    services.record_attendance(meeting, by=heads[0], present=[member(panel, h) for h in heads])
    services.record_decision(
        item, by=heads[0], outcome="approved", rationale="Good evidence.",
        review_date=today + timedelta(days=review_in),
    )  # fmt: skip
    return FundingRequest.objects.get(pk=fr.pk)


@pytest.mark.django_db
def test_funding_starts_on_its_start_date_once(
    panel, meeting, heads, send_officer, request_a, today
):
    fr = approved_at_todays_meeting(panel, meeting, heads, send_officer, request_a, today)
    FundingRequest.objects.filter(pk=fr.pk).update(start_date=today + timedelta(days=1))
    assert tasks.activate_due_funding() == 0  # not yet
    FundingRequest.objects.filter(pk=fr.pk).update(start_date=today)
    assert tasks.activate_due_funding() == 1
    assert tasks.activate_due_funding() == 0
    assert FundingRequest.objects.get(pk=fr.pk).state == "active"
    assert RequestEvent.objects.filter(request=fr, kind="activate").count() == 1


@pytest.mark.django_db
def test_a_review_falls_due_once_and_the_school_is_told_once(
    panel, meeting, heads, send_officer, request_a, senco_a, today
):
    fr = approved_at_todays_meeting(panel, meeting, heads, send_officer, request_a, today)
    FundingRequest.objects.filter(pk=fr.pk).update(start_date=today)
    tasks.activate_due_funding()
    assert tasks.mark_reviews_due() == 0  # the review date is a month away
    Decision.objects.filter(request=fr).update(review_date=today)
    assert tasks.mark_reviews_due() == 1
    assert tasks.mark_reviews_due() == 0
    assert FundingRequest.objects.get(pk=fr.pk).state == "review_due"
    assert Notification.objects.filter(user=senco_a, subject__startswith="Review due").count() == 1


@pytest.mark.django_db
def test_a_meeting_left_open_is_closed_and_its_undecided_items_deferred(
    panel, heads, send_officer, request_a, request_d, senco_a, today
):
    yesterday = meeting_on(panel, today - timedelta(days=1))
    Meeting.objects.filter(pk=yesterday.pk).update(chair=member(panel, heads[0]))
    for fr in (request_a, request_d):
        services.schedule_request(fr, by=send_officer, meeting=yesterday, today=yesterday.date)
    services.open_meeting(yesterday, by=heads[0])
    # The chair decided nothing and went home without closing the meeting.

    assert tasks.sweep_past_meetings() == {"closed": 1, "missed": 0}
    yesterday.refresh_from_db()
    assert yesterday.status == MeetingStatus.CLOSED and yesterday.minutes_published_at
    for fr in (request_a, request_d):
        assert FundingRequest.objects.get(pk=fr.pk).state == "deferred"
        decision = Decision.objects.get(request=fr)
        assert decision.outcome == "deferred" and "left open" in decision.rationale
    assert Notification.objects.filter(user=senco_a, subject__startswith="Panel decision").exists()

    assert tasks.sweep_past_meetings() == {"closed": 0, "missed": 0}
    assert Decision.objects.filter(request=request_a).count() == 1


@pytest.mark.django_db
def test_a_meeting_never_held_is_cancelled_and_its_requests_deferred(
    panel, heads, send_officer, request_a, senco_a, today, meeting
):
    last_week = meeting_on(panel, today - timedelta(days=7))
    services.schedule_request(request_a, by=send_officer, meeting=last_week, today=last_week.date)

    assert tasks.sweep_past_meetings() == {"closed": 0, "missed": 1}
    last_week.refresh_from_db()
    assert last_week.status == MeetingStatus.CANCELLED
    fr = FundingRequest.objects.get(pk=request_a.pk)
    assert fr.state == "deferred"
    # Nobody decided anything: no decision row, but the timeline and the school know why.
    assert not Decision.objects.filter(request=fr).exists()
    assert "was not held" in RequestEvent.objects.get(request=fr, kind="defer").message
    assert Notification.objects.filter(user=senco_a, subject__startswith="Not heard").count() == 1
    # Today's meeting (its day not over) is left alone, and the LA can schedule it again.
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED
    services.schedule_request(fr, by=send_officer)
    assert FundingRequest.objects.get(pk=fr.pk).state == "on_agenda"

    assert tasks.sweep_past_meetings() == {"closed": 0, "missed": 0}
    assert Notification.objects.filter(user=senco_a, subject__startswith="Not heard").count() == 1


@pytest.mark.django_db
def test_a_withdrawn_request_left_on_an_agenda_does_not_stop_the_close(
    panel, meeting, heads, send_officer, request_a, senco_a
):
    from funding.services import apply_transition

    services.schedule_request(request_a, by=send_officer)
    apply_transition(request_a, "withdraw", user=senco_a, message="Pupil has moved away.")
    services.open_meeting(meeting, by=heads[0])
    services.close_meeting(meeting, by=heads[0])
    assert FundingRequest.objects.get(pk=request_a.pk).state == "withdrawn"
    assert not Decision.objects.filter(request=request_a).exists()


@pytest.mark.django_db
def test_funding_another_worker_started_first_is_skipped_and_the_skip_is_logged(
    monkeypatch, caplog, panel, meeting, heads, send_officer, request_a, today
):
    from funding.services import apply_transition
    from panels.services import sweeps

    fr = approved_at_todays_meeting(panel, meeting, heads, send_officer, request_a, today)
    FundingRequest.objects.filter(pk=fr.pk).update(start_date=today)

    def another_worker_got_there_first(request, name, **kwargs):
        apply_transition(request, name, **kwargs)  # the other worker
        return apply_transition(request, name, **kwargs)  # this run: refused

    monkeypatch.setattr(sweeps, "apply_transition", another_worker_got_there_first)
    with caplog.at_level("WARNING", logger="panels.services.sweeps"):
        assert tasks.activate_due_funding() == 0

    assert FundingRequest.objects.get(pk=fr.pk).state == "active"
    (record,) = caplog.records
    assert record.getMessage().startswith(f"activate_due skipped request {fr.reference}")
    assert "funding active" in record.getMessage()


@pytest.mark.django_db
def test_a_meeting_its_chair_closed_meanwhile_is_skipped_and_the_skip_is_logged(
    monkeypatch, caplog, panel, heads, send_officer, request_a, today
):
    from panels.services import sweeps

    yesterday = meeting_on(panel, today - timedelta(days=1))
    Meeting.objects.filter(pk=yesterday.pk).update(chair=member(panel, heads[0]))
    services.schedule_request(request_a, by=send_officer, meeting=yesterday, today=yesterday.date)
    services.open_meeting(yesterday, by=heads[0])

    def closed_by_the_chair_meanwhile(meeting, by):
        services.close_meeting(meeting, by=heads[0])
        return services.close_meeting(meeting, by=by)

    monkeypatch.setattr(sweeps, "close_meeting", closed_by_the_chair_meanwhile)
    with caplog.at_level("WARNING", logger="panels.services.sweeps"):
        assert tasks.sweep_past_meetings() == {"closed": 0, "missed": 0}

    (record,) = caplog.records
    assert f"sweep_past_meetings skipped meeting {yesterday}" in record.getMessage()
    assert "Only a meeting in progress can be closed" in record.getMessage()
