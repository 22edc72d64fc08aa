"""Who may do what on panels (panels/policy.py), told as the users' stories, and the
decision page offering exactly what the policy allows."""

import pytest
from django.urls import reverse

from panels import policy, services
from panels.models import Decision, MeetingStatus
from panels.services import PanelError

from .factories import member, ready_request


def declined_after_reconsideration(school, send_officer, chair):
    fr = ready_request(school, state="declined", reconsideration_used=True)
    decision = Decision.objects.create(
        request=fr,
        outcome="declined",
        rationale="Not enough evidence of the graduated approach.",
        chair=chair,
        by_chairs_action=True,
        la_officer=send_officer,
    )
    return fr, decision


def appeal_button(client, user, decision) -> bool:
    client.force_login(user)
    page = client.get(reverse("panels:decision", args=[decision.pk]))
    assert page.status_code == 200
    return "Record an appeal outcome" in page.text


@pytest.mark.django_db
class TestAppeals:
    def test_a_send_officer_may_record_the_appeal_on_a_request_declined_after_reconsideration(
        self, send_officer, school_a, heads
    ):
        fr, _ = declined_after_reconsideration(school_a, send_officer, heads[0])
        assert policy.can_record_appeal(send_officer, fr)

    def test_a_finance_officer_or_the_school_may_not(
        self, send_officer, finance_officer, senco_a, head_a, school_a, heads
    ):
        fr, _ = declined_after_reconsideration(school_a, send_officer, heads[0])
        for user in (finance_officer, senco_a, head_a):
            assert not policy.can_record_appeal(user, fr)
            with pytest.raises(PanelError, match="Only an LA SEND officer"):
                policy.require_record_appeal(user, fr)

    def test_no_appeal_before_the_one_reconsideration_is_used(self, send_officer, school_a):
        fr = ready_request(school_a, state="declined", reconsideration_used=False)
        assert not policy.can_record_appeal(send_officer, fr)

    def test_once_an_appeal_is_heard_no_second_one_is_offered(
        self, send_officer, school_a, heads, today
    ):
        fr, _ = declined_after_reconsideration(school_a, send_officer, heads[0])
        services.record_appeal(
            fr, by=send_officer, outcome="dismissed", notes="Criteria followed.", heard_on=today
        )
        assert not policy.can_record_appeal(send_officer, fr)
        with pytest.raises(PanelError, match="already been heard"):
            policy.require_record_appeal(send_officer, fr)


@pytest.mark.django_db
def test_the_appeal_button_goes_once_the_appeal_is_heard(
    client, send_officer, senco_a, school_a, heads, today
):
    fr, decision = declined_after_reconsideration(school_a, send_officer, heads[0])
    assert appeal_button(client, send_officer, decision)
    assert not appeal_button(client, senco_a, decision)

    services.record_appeal(
        fr, by=send_officer, outcome="dismissed", notes="Criteria followed.", heard_on=today
    )
    assert not appeal_button(client, send_officer, decision)


@pytest.mark.django_db
def test_the_appeal_button_goes_when_the_reheard_request_is_declined_again(
    client, panel, meeting, send_officer, school_a, heads, today
):
    """Upheld, the request is declined again at the meeting: the appeal route stays closed."""
    fr, first = declined_after_reconsideration(school_a, send_officer, heads[0])
    appeal = services.record_appeal(
        fr, by=send_officer, outcome="upheld", notes="Reheard.", heard_on=today
    )
    item = appeal.meeting.items.get(request=fr)
    services.open_meeting(meeting, by=heads[0])
    services.record_attendance(meeting, by=heads[0], present=[member(panel, h) for h in heads])
    again = services.record_decision(item, by=heads[0], outcome="declined", rationale="Still no.")
    for decision in (first, again):
        assert not appeal_button(client, send_officer, decision)


@pytest.mark.django_db
class TestMeetings:
    def test_the_chair_or_a_send_officer_opens_a_scheduled_meeting_a_member_may_not(
        self, meeting, heads, send_officer, finance_officer
    ):
        chair, other = heads[0], heads[1]
        assert meeting.chair.user == chair
        assert policy.can_open_meeting(chair, meeting)
        assert policy.can_open_meeting(send_officer, meeting)
        assert not policy.can_open_meeting(other, meeting)
        assert not policy.can_open_meeting(finance_officer, meeting)

    def test_only_the_chair_decides_and_ratifies_and_only_while_the_meeting_is_open(
        self, meeting, heads, send_officer
    ):
        chair = heads[0]
        assert not policy.can_record_decision(chair, meeting)
        meeting.status = MeetingStatus.OPEN
        assert policy.can_record_decision(chair, meeting)
        assert policy.can_ratify(chair, meeting)
        assert not policy.can_record_decision(send_officer, meeting)
        assert not policy.can_ratify(heads[1], meeting)

    def test_attendance_and_closing_are_for_an_open_meeting(self, meeting, heads, send_officer):
        assert not policy.can_record_attendance(send_officer, meeting)
        assert not policy.can_close_meeting(heads[0], meeting)
        meeting.status = MeetingStatus.OPEN
        assert policy.can_record_attendance(send_officer, meeting)
        assert policy.can_close_meeting(heads[0], meeting)
        assert not policy.can_open_meeting(heads[0], meeting)

    def test_a_send_officer_swaps_the_chair_before_the_meeting_starts(
        self, meeting, heads, send_officer
    ):
        assert policy.can_swap_chair(send_officer, meeting)
        assert not policy.can_swap_chair(heads[0], meeting)
        meeting.status = MeetingStatus.OPEN
        assert not policy.can_swap_chair(send_officer, meeting)


@pytest.mark.django_db
class TestPanels:
    def test_a_send_officer_runs_the_panels_a_finance_officer_may_not(
        self, send_officer, finance_officer, head_a
    ):
        assert policy.can_manage_panels(send_officer)
        assert not policy.can_manage_panels(finance_officer)
        assert not policy.can_manage_panels(head_a)
        with pytest.raises(PanelError, match="Only an LA SEND officer can do this."):
            policy.require_manage_panels(finance_officer)

    def test_headteachers_and_the_la_find_the_panels_a_senco_does_not(
        self, head_a, senco_a, finance_officer
    ):
        assert policy.can_see_panels(head_a)
        assert policy.can_see_panels(finance_officer)
        assert not policy.can_see_panels(senco_a)

    def test_the_requesting_school_reports_outcomes_while_funding_runs(
        self, school_a, senco_a, senco_b, send_officer
    ):
        fr = ready_request(school_a, state="active")
        assert policy.can_report_outcomes(senco_a, fr)
        assert not policy.can_report_outcomes(senco_b, fr)
        assert not policy.can_report_outcomes(send_officer, fr)
        fr.state = "closed"
        assert not policy.can_report_outcomes(senco_a, fr)
