"""The panel's rules, at the service layer."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from budgets.selectors import budget_totals
from budgets.services import budget_for
from funding.models import FundingRequest
from funding.services import TransitionError, apply_transition
from panels import services
from panels.models import Decision, ItemKind, MeetingStatus, Outcome
from panels.services import PanelError
from portal.models import Notification

from .factories import member, ready_request

GOOD = {"evidence_of_need": 4, "graduated_approach": 3, "likely_impact": 3, "value_for_money": 3}


def start(meeting, chair_user, present):
    services.open_meeting(meeting, by=chair_user)
    meeting.refresh_from_db()
    return services.record_attendance(meeting, by=chair_user, present=present)


# A Monday in term, and a first meeting far enough on for its closing date.
TODAY = date(2027, 1, 4)
FIRST = date(2027, 1, 21)


def state_of(fr):
    return FundingRequest.objects.get(pk=fr.pk).state


@pytest.mark.django_db
class TestRotaOnThePanel:
    def test_a_year_of_meetings_is_shared_fairly_among_the_heads(self, panel, send_officer):
        meetings = services.generate_year(panel, by=send_officer, first_date=FIRST, today=TODAY)
        # Four-weekly, the one in the summer holidays dropped (tests/panels/test_calendar.py).
        assert len(meetings) == 12
        assert all(m.closing_date <= m.date - timedelta(days=10) for m in meetings)
        counts = Counter(m.chair.user.username for m in meetings)
        assert len(counts) == 4 and max(counts.values()) - min(counts.values()) <= 1

    def test_a_departing_head_is_taken_off_future_meetings(self, panel, send_officer, heads):
        services.generate_year(panel, by=send_officer, first_date=FIRST, today=TODAY)
        leaver = member(panel, heads[1])
        ends = TODAY + timedelta(days=100)
        chairs = list(panel.meetings.order_by("date").values_list("chair_id", flat=True))
        # The published meetings' chairs change: refused, named, nothing saved, until confirmed.
        with pytest.raises(services.RotaChangesUnconfirmed, match="changes the chair of"):
            services.end_membership(leaver, by=send_officer, end_date=ends)
        leaver.refresh_from_db()
        assert leaver.end_date is None
        assert list(panel.meetings.order_by("date").values_list("chair_id", flat=True)) == chairs
        services.end_membership(leaver, by=send_officer, end_date=ends, confirm_chair_changes=True)
        late = panel.meetings.filter(date__gt=TODAY + timedelta(days=100))
        assert late.exists() and not late.filter(chair=leaver).exists()
        counts = Counter(m.chair_id for m in late)
        assert max(counts.values()) - min(counts.values()) <= 1

    def test_an_officer_swaps_a_chair_for_one_meeting_with_a_reason(
        self, panel, send_officer, heads
    ):
        meetings = services.generate_year(panel, by=send_officer, first_date=FIRST, today=TODAY)
        first = meetings[0]
        other = member(panel, heads[3])
        with pytest.raises(PanelError, match="reason"):
            services.swap_chair(first, by=send_officer, member=other, reason=" ")
        services.swap_chair(first, by=send_officer, member=other, reason="Chair on a course")
        services.rebalance_rota(panel)
        first.refresh_from_db()
        assert first.chair == other and first.rota_chair != other
        assert first.swap_reason == "Chair on a course"

    def test_only_an_la_officer_manages_the_rota(self, panel, heads, today):
        with pytest.raises(PanelError):
            services.generate_year(panel, by=heads[0], first_date=today)


@pytest.mark.django_db
class TestScheduling:
    def test_a_ready_request_goes_on_the_next_open_meeting(self, send_officer, meeting, request_d):
        item = services.schedule_request(request_d, by=send_officer)
        assert item.meeting == meeting
        assert state_of(request_d) == "on_agenda"

    def test_after_the_closing_date_it_goes_to_the_following_meeting(
        self, send_officer, panel, request_d, today
    ):
        from .factories import meeting_on

        closed = meeting_on(panel, today + timedelta(days=3), closing=today - timedelta(days=1))
        later = meeting_on(panel, today + timedelta(days=30), closing=today + timedelta(days=20))
        with pytest.raises(PanelError, match="closed for requests"):
            services.schedule_request(request_d, by=send_officer, meeting=closed)
        assert services.schedule_request(request_d, by=send_officer).meeting == later

    def test_a_request_only_goes_to_its_own_clusters_panel(self, send_officer, meeting, school_b):
        elsewhere = ready_request(school_b)
        with pytest.raises(PanelError):
            services.schedule_request(elsewhere, by=send_officer, meeting=meeting)
        assert state_of(elsewhere) == "ready"


@pytest.mark.django_db
class TestQuorumAndDecisions:
    def test_an_inquorate_meeting_cannot_decide(
        self, panel, meeting, send_officer, request_d, heads
    ):
        item = services.schedule_request(request_d, by=send_officer)
        q = start(meeting, heads[0], [member(panel, heads[0]), member(panel, heads[1])])
        assert not q.quorate
        with pytest.raises(PanelError, match="not quorate"):
            services.record_decision(
                item, by=heads[0], outcome="declined", rationale="Not enough evidence."
            )
        # Nor through the lifecycle directly.
        with pytest.raises(TransitionError, match="not quorate"):
            apply_transition(request_d, "decline", user=heads[0], message="x")
        assert state_of(request_d) == "on_agenda"
        assert not Decision.objects.exists()

    def test_the_chair_approves_and_the_senco_is_told_why(
        self,
        panel,
        meeting,
        send_officer,
        request_a,
        heads,
        senco_a,
        today,
        django_capture_on_commit_callbacks,
    ):
        item = services.schedule_request(request_a, by=send_officer)
        q = start(meeting, heads[0], [member(panel, h) for h in heads[:3]])
        assert q.quorate
        with django_capture_on_commit_callbacks(execute=True):
            decision = services.record_decision(
                item,
                by=heads[0],
                outcome=Outcome.APPROVED,
                rationale="Clear evidence of two APDR cycles.",
                conditions="Termly progress note.",
                review_date=today + timedelta(days=120),
            )
        fr = FundingRequest.objects.get(pk=request_a.pk)
        assert fr.state == "approved" and fr.amount_awarded == Decimal("7500.00")
        assert decision.amount == Decimal("7500.00")
        note = Notification.objects.get(user=senco_a, subject__startswith="Panel decision")
        assert "Approved" in note.subject and "two APDR cycles" in note.body
        assert any("two APDR cycles" in m.body for m in mail.outbox)
        # The award is committed on the cluster's budget in the same transaction.
        budget = budget_for(fr.cluster_id, fr.stream_id)
        assert budget_totals(budget).committed == Decimal("7500.00")

    def test_an_approval_the_budget_cannot_cover_is_refused_and_nothing_is_recorded(
        self, panel, meeting, send_officer, heads, today
    ):
        school = heads[1].memberships.get().school
        fr = ready_request(school, amount="150000.00")
        item = services.schedule_request(fr, by=send_officer)
        start(meeting, heads[0], [member(panel, h) for h in heads])
        with pytest.raises(PanelError, match="Not enough budget") as refused:
            services.record_decision(
                item, by=heads[0], outcome="approved", rationale="Yes.",
                review_date=today + timedelta(days=90),
            )  # fmt: skip
        assert refused.value.status == 409
        assert state_of(fr) == "on_agenda"
        assert not Decision.objects.exists()

    def test_partial_approval_needs_an_amount_below_the_request(
        self, panel, meeting, send_officer, request_d, heads, today
    ):
        item = services.schedule_request(request_d, by=send_officer)
        start(meeting, heads[0], [member(panel, h) for h in heads])
        kw = dict(rationale="Fund the TA only.", review_date=today + timedelta(days=90))
        with pytest.raises(PanelError, match="less than"):
            services.record_decision(
                item, by=heads[0], outcome="partially_approved", amount=Decimal("9000"), **kw
            )
        services.record_decision(
            item, by=heads[0], outcome="partially_approved", amount=Decimal("5000"), **kw
        )
        fr = FundingRequest.objects.get(pk=request_d.pk)
        assert fr.state == "partially_approved" and fr.amount_awarded == Decimal("5000.00")

    def test_a_rationale_is_required(self, panel, meeting, send_officer, request_d, heads):
        item = services.schedule_request(request_d, by=send_officer)
        start(meeting, heads[0], [member(panel, h) for h in heads])
        with pytest.raises(PanelError, match="rationale"):
            services.record_decision(item, by=heads[0], outcome="declined", rationale="  ")

    def test_only_the_chair_decides(self, panel, meeting, send_officer, request_d, heads):
        item = services.schedule_request(request_d, by=send_officer)
        start(meeting, heads[0], [member(panel, h) for h in heads])
        with pytest.raises(PanelError, match="chair"):
            services.record_decision(item, by=heads[2], outcome="declined", rationale="No.")
        with pytest.raises(TransitionError):
            apply_transition(request_d, "decline", user=heads[2], message="No.")

    def test_more_information_goes_back_to_the_senco(
        self, panel, meeting, send_officer, request_d, heads
    ):
        item = services.schedule_request(request_d, by=send_officer)
        start(meeting, heads[0], [member(panel, h) for h in heads])
        services.record_decision(
            item, by=heads[0], outcome="more_information", rationale="Send the EP report."
        )
        assert state_of(request_d) == "returned"

    def test_deferring_to_a_later_meeting_puts_it_on_that_agenda(
        self, panel, meeting, next_meeting, send_officer, request_d, heads
    ):
        item = services.schedule_request(request_d, by=send_officer, meeting=meeting)
        start(meeting, heads[0], [member(panel, h) for h in heads])
        services.record_decision(
            item,
            by=heads[0],
            outcome="deferred",
            rationale="Wait for the EP.",
            deferred_to=next_meeting,
        )
        assert state_of(request_d) == "on_agenda"
        assert next_meeting.items.filter(request=request_d).exists()


@pytest.mark.django_db
class TestRecusal:
    def test_a_head_is_recused_from_their_own_schools_item(
        self, panel, meeting, send_officer, request_a, heads
    ):
        item = services.schedule_request(request_a, by=send_officer)
        head_a = heads[3]
        assert services.is_recused(item, head_a)
        with pytest.raises(PanelError, match="recused"):
            services.record_moderation(item, by=head_a, scores=GOOD, recommendation="approve")
        services.record_moderation(item, by=heads[1], scores=GOOD, recommendation="approve")

    def test_a_declared_conflict_recuses_and_withdraws_the_members_view(
        self, panel, meeting, send_officer, request_d, heads
    ):
        item = services.schedule_request(request_d, by=send_officer)
        services.record_moderation(item, by=heads[2], scores=GOOD, recommendation="approve")
        services.declare_conflict(item, by=heads[2], reason="My niece attends the school.")
        assert services.is_recused(item, heads[2])
        assert not item.views.exists()

    def test_recusals_that_make_an_item_inquorate_defer_it(
        self, panel, meeting, send_officer, request_a, heads
    ):
        item = services.schedule_request(request_a, by=send_officer)
        # Three present: the meeting is quorate, but head_a is recused from this item.
        start(
            meeting,
            heads[0],
            [member(panel, heads[0]), member(panel, heads[1]), member(panel, heads[3])],
        )
        decision = services.record_decision(
            item, by=heads[0], outcome="declined", rationale="Would have declined."
        )
        assert decision.outcome == Outcome.DEFERRED
        assert "not quorate for this item" in decision.rationale
        assert state_of(request_a) == "deferred"

    def test_a_recused_chair_cannot_decide(self, panel, meeting, send_officer, heads):
        chair_school = heads[0].memberships.get().school
        fr = ready_request(chair_school)
        item = services.schedule_request(fr, by=send_officer)
        start(meeting, heads[0], [member(panel, h) for h in heads])
        with pytest.raises(PanelError, match="recused"):
            services.record_decision(item, by=heads[0], outcome="declined", rationale="No.")
        assert state_of(fr) == "on_agenda"


@pytest.mark.django_db
class TestChairsActionAndAfter:
    def test_urgent_request_by_chairs_action_is_ratified_at_the_next_meeting(
        self, panel, meeting, send_officer, heads, today
    ):
        school = heads[1].memberships.get().school
        fr = ready_request(school, request_type="urgent")
        # Today's meeting is the latest: its chair is the chair in post.
        with pytest.raises(PanelError, match="current chair"):
            services.propose_chairs_action(
                fr, by=heads[2], officer=send_officer, outcome="approved",
                rationale="Risk of exclusion.", review_date=today + timedelta(days=60),
            )  # fmt: skip
        proposal = services.propose_chairs_action(
            fr, by=heads[0], officer=send_officer, outcome="approved",
            rationale="Risk of exclusion.", review_date=today + timedelta(days=60),
        )  # fmt: skip
        services.confirm_chairs_action(proposal, by=send_officer)
        fr.refresh_from_db()
        assert fr.state == "approved" and fr.amount_awarded == Decimal("7500.00")
        # Today's meeting has not started: the decision is ratified there.
        item = meeting.items.get()
        assert item.kind == ItemKind.RATIFICATION and item.request == fr
        decision = Decision.objects.get(request=fr)
        assert decision.by_chairs_action and decision.la_officer == send_officer

    def test_close_defers_undecided_items_and_publishes_minutes(
        self, panel, meeting, send_officer, request_d, heads, senco_a
    ):
        services.schedule_request(request_d, by=send_officer)
        start(meeting, heads[0], [member(panel, h) for h in heads])
        services.close_meeting(meeting, by=heads[0])
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.CLOSED and meeting.minutes_published_at
        assert state_of(request_d) == "deferred"
        assert Notification.objects.filter(user=senco_a, subject__startswith="Minutes").exists()

    def test_funding_activates_falls_due_and_the_review_closes_it(
        self, panel, meeting, send_officer, request_a, heads, senco_a, today
    ):
        item = services.schedule_request(request_a, by=send_officer)
        start(meeting, heads[0], [member(panel, h) for h in heads[:3]])
        services.record_decision(
            item, by=heads[0], outcome="approved", rationale="Good.",
            review_date=today + timedelta(days=30),
        )  # fmt: skip
        FundingRequest.objects.filter(pk=request_a.pk).update(start_date=today)
        assert services.activate_due(today=today) == 1
        assert services.reviews_due(today=today) == 0
        assert services.reviews_due(today=today + timedelta(days=30)) == 1
        fr = FundingRequest.objects.get(pk=request_a.pk)
        assert fr.state == "review_due"
        with pytest.raises(PanelError, match="You can report up to £7,500.00, the amount awarded"):
            services.report_outcomes(
                fr, by=senco_a, result="met", evidence="x", amount_spent=Decimal("9999")
            )
        services.report_outcomes(
            fr,
            by=senco_a,
            result="partly",
            evidence="Speaks in class now.",
            amount_spent=Decimal("6000"),
        )
        assert state_of(fr) == "closed"

    def test_an_appeal_is_recorded_only_after_the_reconsideration(self, send_officer, school_a):
        fr = ready_request(school_a, state="declined")
        with pytest.raises(PanelError):
            services.record_appeal(
                fr, by=send_officer, outcome="dismissed", notes="n", heard_on=fr.created_at.date()
            )
        FundingRequest.objects.filter(pk=fr.pk).update(reconsideration_used=True)
        appeal = services.record_appeal(
            fr,
            by=send_officer,
            outcome="dismissed",
            notes="Decision stands.",
            heard_on=fr.created_at.date(),
        )
        assert appeal.pk
