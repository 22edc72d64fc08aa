"""The demo step leaves each cluster a panel, a rota, past decisions dated at their
meetings, a chair's action to ratify and today's agenda; at national scale the
other clusters' panels are bulk-inserted."""

import random
from io import StringIO

import pytest
from django.utils import timezone

from clusters.models import Role
from demo import panels as demo
from demo.context import DemoContext
from funding.models import RequestEvent
from funding.workflow import State
from panels import rota
from panels.models import (
    ChairsActionProposal,
    Decision,
    ItemKind,
    Meeting,
    MeetingStatus,
    Panel,
    ProposalStatus,
)
from tests.factories import ClusterFactory, SchoolFactory, make_user

from .factories import ready_request


def demo_context(send_officer, clusters, scale="county"):
    schools, heads = [], {}
    for cluster in clusters:
        for _ in range(5):
            school = SchoolFactory(cluster=cluster)
            schools.append(school)
            heads[school.pk] = make_user(Role.HEADTEACHER, school=school)
    today = timezone.localdate()
    ctx = DemoContext(rng=random.Random(1), today=today, out=StringIO(), scale=scale)
    ctx.shared.update(
        users={"la_send_officer": send_officer, "headteacher": heads[schools[0].pk]},
        clusters=clusters,
        schools=schools,
        headteachers=heads,
        demo_school=schools[0],
        requests={State.READY: [ready_request(schools[i % 5]) for i in range(19)]},
    )
    return ctx, schools, heads


@pytest.mark.django_db
def test_the_demo_gives_a_cluster_its_panel_year_and_agenda_today_open_to_run(
    cluster, send_officer
):
    ctx, schools, heads = demo_context(send_officer, [cluster])
    today = ctx.today
    demo.load(ctx)

    panel = cluster.panel
    assert panel.members.count() == 5
    assert panel.meetings.count() >= 13
    meeting = panel.meetings.get(date=today)
    assert meeting.items.filter(kind=ItemKind.DECISION).count() == 4
    assert meeting.chair.user == heads[schools[0].pk]
    # An item from the chair's own school, which the vice-chair will chair.
    assert meeting.items.filter(request__school=schools[0], kind=ItemKind.DECISION).exists()
    panel.refresh_from_db()
    assert panel.vice_chair is not None and panel.vice_chair != meeting.chair
    assert panel.meetings.filter(status=MeetingStatus.CLOSED, date__lt=today).count() == 6
    assert Decision.objects.filter(item__meeting__panel=panel).exists()
    assert not Meeting.objects.filter(date__lt=today, status=MeetingStatus.SCHEDULED).exists()
    # The newcomer can open and run it today: its agenda closed yesterday (pack ready).
    assert meeting.status == MeetingStatus.SCHEDULED and meeting.closing_date < today


@pytest.mark.django_db
def test_past_decisions_and_their_timeline_carry_the_meetings_dates(cluster, send_officer):
    ctx, _, _ = demo_context(send_officer, [cluster])
    demo.load(ctx)

    decisions = Decision.objects.filter(item__meeting__date__lt=ctx.today).select_related(
        "item__meeting"
    )
    assert decisions.exists()
    for decision in decisions:
        day = decision.item.meeting.date
        assert timezone.localtime(decision.decided_at).date() == day
        events = RequestEvent.objects.filter(request=decision.request)
        moved = events.get(kind={"approved": "approve", "partially_approved":
                                 "partially_approve", "declined": "decline", "deferred":
                                 "defer", "more_information": "request_information"}
                           [decision.outcome])  # fmt: skip
        assert timezone.localtime(moved.created_at).date() == day
        scheduled = events.get(kind="schedule")
        assert timezone.localtime(scheduled.created_at).date() == decision.item.meeting.closing_date
        # The timeline reads in the order things happened.
        times = list(events.order_by("pk").values_list("created_at", flat=True))
        assert times == sorted(times)
    # Funding that has started did so on its own start date, a fortnight after its meeting.
    for event in RequestEvent.objects.filter(kind="activate").select_related("request"):
        assert timezone.localtime(event.created_at).date() == event.request.start_date
        assert event.request.start_date <= ctx.today


@pytest.mark.django_db
def test_an_urgent_request_decided_by_chairs_action_awaits_ratification_today(
    cluster, send_officer
):
    ctx, _, _ = demo_context(send_officer, [cluster])
    demo.load(ctx)

    item = cluster.panel.meetings.get(date=ctx.today).items.get(kind=ItemKind.RATIFICATION)
    assert item.ratified_at is None
    fr = item.request
    assert fr.request_type == "urgent" and fr.state == State.APPROVED
    decision = Decision.objects.get(request=fr)
    assert decision.by_chairs_action and decision.la_officer == send_officer
    assert decision.item is None and timezone.localtime(decision.decided_at).date() <= ctx.today


@pytest.mark.django_db
def test_an_urgent_request_waits_for_the_la_officer_to_confirm_the_chairs_proposal(
    cluster, send_officer
):
    ctx, _, _ = demo_context(send_officer, [cluster])
    demo.load(ctx)

    proposal = ChairsActionProposal.objects.get(status=ProposalStatus.AWAITING)
    assert proposal.officer == send_officer
    fr = proposal.request
    # Nothing is committed until the officer answers: still ready, on no agenda.
    assert fr.request_type == "urgent" and fr.state == State.READY
    assert not fr.agenda_items.exists()
    assert fr.school_id != cluster.panel.meetings.get(date=ctx.today).chair.school_id


@pytest.mark.django_db
def test_at_national_scale_the_other_panels_are_bulk_inserted_with_rota_chairs(
    cluster, send_officer
):
    other = ClusterFactory()
    ctx, _, _ = demo_context(send_officer, [cluster, other], scale="national")
    demo.load(ctx)

    # The demo logins' cluster has its whole story ...
    assert Decision.objects.filter(item__meeting__panel__cluster=cluster).exists()
    # ... the other has a panel, members and a year of meetings, chaired by the rota.
    panel = Panel.objects.get(cluster=other)
    meetings = list(panel.meetings.order_by("date"))
    assert panel.members.count() == 5 and len(meetings) >= 13
    heads = list(panel.members.order_by("pk"))
    expected = rota.assign_chairs(
        [m.date for m in meetings], [rota.Candidate(id=h.pk, start=h.start_date) for h in heads]
    )
    assert [m.chair_id for m in meetings] == expected
    past = [m for m in meetings if m.date < ctx.today]
    assert past and all(m.status == MeetingStatus.CLOSED for m in past)
    assert all(m.attendance.count() == 5 for m in past)
    assert any(m.date == ctx.today for m in meetings)
    assert not Decision.objects.filter(item__meeting__panel=panel).exists()
    assert "no decisions" in ctx.out.getvalue()
