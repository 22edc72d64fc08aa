"""Demo step: a panel per cluster, a year's rota, past meetings with decisions, and a
meeting today with an agenda that closed yesterday, so a newcomer can open and run it
on the day the demo is loaded (and an urgent request decided by chair's action,
waiting for ratification there). Today's agenda holds an item from the chair's own
school, which the panel's vice-chair chairs (the acting-chair step).

At county scale everything goes through the services, as the LA officer and each
meeting's chair, with ``today`` set to the meeting's day for the past ones (a demo
cannot wait a year), so the demo obeys the panel rules: quorum, recusal, budget.
Afterwards the record is dated when it happened: agenda items and timeline events at
the meeting's closing date, decisions, their timeline events and notifications at
the meeting, funding starting and reviews falling due on their days.

At national scale (1,500 clusters) the services would take an hour, so the demo
cluster is built as above and every other panel, its members and a year of meetings
(chairs from the pure rota function, past meetings closed with attendance) are
bulk-inserted, without decisions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

import holidays
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from demo.budgets import decided_at
from demo.context import DemoContext
from funding.models import FundingRequest, RequestEvent, RequestType
from funding.workflow import State
from panels import rota, services
from panels import selectors as panel_selectors
from panels.models import (
    CRITERIA,
    AgendaItem,
    Attendance,
    ChairsActionProposal,
    Decision,
    Meeting,
    MeetingStatus,
    MemberRole,
    ModerationView,
    Outcome,
    Panel,
    PanelMember,
)
from panels.services import PanelError
from portal.models import Notification

HEADS_PER_PANEL = 5
PAST_MEETINGS = 6
ITEMS_PER_PAST_MEETING = 2
ITEMS_TODAY = 4
OUTCOMES = [
    (Outcome.APPROVED, 55),
    (Outcome.PARTIALLY_APPROVED, 20),
    (Outcome.DECLINED, 12),
    (Outcome.DEFERRED, 5),
    (Outcome.MORE_INFORMATION, 8),
]
RATIONALES = {
    Outcome.APPROVED: "Two assess-plan-do-review cycles with measured impact; the costed "
    "provision is proportionate and the school's own contribution is in place.",
    Outcome.PARTIALLY_APPROVED: "Need is clear; the panel funds the adult support but not the "
    "resources, which are ordinarily available.",
    Outcome.DECLINED: "The graduated approach is not yet evidenced: one short cycle with no "
    "review of impact.",
    Outcome.DEFERRED: "The panel awaits the educational psychologist's report.",
    Outcome.MORE_INFORMATION: "Please send the provision map with the school's own "
    "contribution costed.",
}


def _aware(day, hour=16, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def load(ctx: DemoContext) -> None:
    rng = ctx.rng
    officer = ctx.shared.get("users", {}).get("la_send_officer")
    clusters = ctx.shared.get("clusters") or []
    schools = ctx.shared.get("schools") or []
    heads = ctx.shared.get("headteachers") or {}
    panel_members = ctx.shared.get("panel_members") or {}
    if officer is None or not clusters:
        ctx.log("panels: no clusters or LA officer; no panels made")
        return
    today = ctx.today
    demo_school = ctx.shared.get("demo_school")

    by_cluster = defaultdict(list)
    for s in schools:
        if s.cluster_id and s.is_open:
            by_cluster[s.cluster_id].append(s)
    ready = defaultdict(list)
    for fr in ctx.shared.get("requests", {}).get(State.READY, []):
        ready[fr.cluster_id].append(fr)

    def picks_for(cluster) -> list:
        picks = [s for s in by_cluster.get(cluster.pk, []) if heads.get(s.pk)]
        rng.shuffle(picks)
        picks = picks[:HEADS_PER_PANEL]
        if demo_school and demo_school.cluster_id == cluster.pk and demo_school not in picks:
            picks = [demo_school, *picks[: HEADS_PER_PANEL - 1]]
        return picks

    if ctx.scale == "national":
        # The demo logins' cluster gets the full story; the others are bulk-inserted.
        demo_cluster_id = demo_school.cluster_id if demo_school else clusters[0].pk
        full = [c for c in clusters if c.pk == demo_cluster_id]
        bulk = [c for c in clusters if c.pk != demo_cluster_id]
    else:
        full, bulk = clusters, []

    decided = 0
    urgent = None
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for cluster in full:
            picks = picks_for(cluster)
            if len(picks) < 2:
                continue
            made, chairs_action = _cluster_story(
                ctx, cluster, picks, officer, ready.get(cluster.pk, []), want_urgent=urgent is None
            )
            decided += made
            urgent = urgent or chairs_action
        # Funding starts and reviews fall due on their days, not on the day the demo ran.
        mark = timezone.now()
        services.activate_due(today=today)
        services.reviews_due(today=today)
        _date_scheduled_moves(mark)
    ctx.log(f"panels: {len(full)} clusters' panels, {decided} decisions at past meetings")
    if urgent is not None:
        ctx.log(
            f"panels: {urgent.request.reference} (urgent) decided by chair's action, "
            "for ratification at today's meeting"
        )
    if bulk:
        _bulk_panels(ctx, bulk, [picks_for(c) for c in bulk], panel_members)


def _cluster_story(ctx, cluster, picks, officer, queue, *, want_urgent):
    """One cluster's panel through the services: members, a year's rota, six past
    meetings held, a chair's action and today's agenda. Returns (decisions, the
    chair's-action decision or None)."""
    today = ctx.today
    # Today's meeting took its agenda until yesterday: it can be opened and run today,
    # and its agenda pack is ready.
    closing = today - timedelta(days=1)
    heads = ctx.shared.get("headteachers") or {}
    panel_members = ctx.shared.get("panel_members") or {}
    demo_head = ctx.shared.get("users", {}).get("headteacher")
    panel = services.create_panel(cluster=cluster, by=officer)
    joined = today - timedelta(days=400)
    for school in picks:
        services.add_member(
            panel,
            by=officer,
            user=heads[school.pk],
            role=MemberRole.HEADTEACHER,
            school=school,
            start_date=joined,
        )
    if panel_members.get(cluster.pk):
        services.add_member(
            panel,
            by=officer,
            user=panel_members[cluster.pk],
            role=MemberRole.EDUCATIONAL_PSYCHOLOGIST,
            start_date=joined,
        )
    # A year of four-weekly meetings through today, half past and half to come.
    first = today - timedelta(weeks=4 * PAST_MEETINGS)
    # Published two weeks before the first meeting, as the LA would have (its closing date
    # then still to come).
    services.generate_year(
        panel,
        by=officer,
        first_date=first,
        location=f"{cluster.name} hub",
        today=first - timedelta(weeks=2),
    )
    if not panel.meetings.filter(date=today).exists():
        Meeting.objects.create(panel=panel, date=today, closing_date=closing)
        services.rebalance_rota(panel, today=first)
    upcoming = panel.meetings.get(date=today)
    if upcoming.closing_date != closing:
        Meeting.objects.filter(pk=upcoming.pk).update(closing_date=closing)
        upcoming.refresh_from_db()
    if demo_head and panel.members.filter(user=demo_head).exists():
        demo_member = panel.members.get(user=demo_head)
        if upcoming.chair_id != demo_member.pk:
            services.swap_chair(
                upcoming,
                by=officer,
                member=demo_member,
                reason="Swapped with the next meeting at the chair's request.",
            )
            upcoming.refresh_from_db()

    # The panel's vice-chair: the first other head, who takes the chair today for the
    # item from the chair's own school (held back from the past meetings for it).
    chair = upcoming.chair
    vice = (
        panel.members.filter(voting=True, role=MemberRole.HEADTEACHER)
        .exclude(pk=chair.pk if chair else None)
        .order_by("pk")
        .first()
    )
    if vice is not None:
        services.set_vice_chair(panel, by=officer, member=vice)
    queue = list(queue)
    # The school's most recently triaged one: the earlier ones still go to past meetings
    # (the demo SENCO's reviews due come from them).
    own = next(
        (
            fr
            for fr in reversed(queue)
            if chair and fr.school_id == chair.school_id and fr.request_type != RequestType.URGENT
        ),
        None,
    )
    queue = [fr for fr in queue if fr is not own]
    decided = 0
    for meeting in panel.meetings.filter(date__lt=today).order_by("date"):
        # Only what the LA had triaged by the meeting's closing date can be on its agenda.
        batch = [fr for fr in queue if _triaged_by(fr, meeting.closing_date)]
        batch = batch[:ITEMS_PER_PAST_MEETING]
        queue = [fr for fr in queue if fr not in batch]
        decided += _hold(ctx, meeting, batch, officer)
    chairs_action = _chairs_action(ctx, panel, queue, officer) if want_urgent else None
    if chairs_action is not None:
        queue = [fr for fr in queue if fr.pk != chairs_action.request_id]
    # Only what the LA had triaged by yesterday's closing date is on today's agenda.
    waiting = queue
    queue = [fr for fr in queue if _triaged_by(fr, closing)]
    todays = ([own] if own and _triaged_by(own, closing) else []) + queue[
        : ITEMS_TODAY - (1 if own else 0)
    ]
    for fr in todays:
        fr.refresh_from_db()
        mark = timezone.now()
        try:
            item = services.schedule_request(fr, by=officer, meeting=upcoming, today=closing)
        except PanelError as exc:
            ctx.log(f"panels: could not schedule {fr.reference}: {exc.message}")
            continue
        _views(ctx, item, upcoming)
        # Put on the agenda at the end of the closing day, after the LA's triage.
        _date_events([fr.pk], mark, lambda event: _aware(closing, 17, 30))
    if want_urgent:
        _proposal_awaiting_officer(ctx, panel, [fr for fr in waiting if fr not in todays], officer)
    return decided, chairs_action


def _proposal_awaiting_officer(ctx, panel: Panel, queue, officer) -> None:
    """A second urgent request the chair proposed this morning: it waits for the demo's
    LA SEND officer to confirm or refuse it in their own session."""
    today = ctx.today
    chair = panel_selectors.current_chair(panel, today=today)
    fr = next((f for f in reversed(queue) if chair and f.school_id != chair.school_id), None)
    if fr is None:
        return
    FundingRequest.objects.filter(pk=fr.pk).update(request_type=RequestType.URGENT)
    fr.refresh_from_db()
    try:
        proposal = services.propose_chairs_action(
            fr,
            by=chair.user,
            officer=officer,
            outcome=Outcome.APPROVED,
            rationale="The pupil's place is at risk before the next meeting: interim "
            "adult support for a term, reviewed with the EP.",
            review_date=today + timedelta(weeks=12),
            today=today,
        )
    except PanelError as exc:
        ctx.log(f"panels: chair's action proposal on {fr.reference} not made: {exc.message}")
        return
    ChairsActionProposal.objects.filter(pk=proposal.pk).update(proposed_at=_aware(today, 9, 30))
    ctx.log(f"panels: {fr.reference} (urgent) awaits the LA officer's confirmation")


def _triaged_by(fr: FundingRequest, day) -> bool:
    return fr.state_changed_at is None or timezone.localtime(fr.state_changed_at).date() <= day


def _chairs_action(ctx, panel: Panel, queue, officer) -> Decision | None:
    """An urgent request the rota's chair in post decided yesterday with the LA officer:
    it waits on today's agenda for ratification."""
    today = ctx.today
    chair = panel_selectors.current_chair(panel, today=today)
    if chair is None:
        return None
    candidates = [fr for fr in queue if fr.school_id != chair.school_id]
    fr = next((f for f in candidates if f.request_type == RequestType.URGENT), None)
    if fr is None and candidates:
        # None of this cluster's ready requests is urgent: the demo makes the last one so.
        fr = candidates[-1]
        FundingRequest.objects.filter(pk=fr.pk).update(request_type=RequestType.URGENT)
    if fr is None:
        return None
    fr.refresh_from_db()
    mark = timezone.now()
    try:
        # Two people: the chair proposes, the LA officer confirms in their own name.
        proposal = services.propose_chairs_action(
            fr,
            by=chair.user,
            officer=officer,
            outcome=Outcome.APPROVED,
            rationale="The placement is at risk this week: the chair and the LA agreed "
            "interim support until the panel meets.",
            conditions="Ratified at the next meeting; reviewed with the EP after a term.",
            review_date=today + timedelta(weeks=14),
            today=today,
        )
        decision = services.confirm_chairs_action(proposal, by=officer, today=today)
    except PanelError as exc:
        ctx.log(f"panels: chair's action on {fr.reference} not taken: {exc.message}")
        return None
    # Yesterday morning, unless the LA only triaged it today.
    acted = (
        _aware(today - timedelta(days=1), 11)
        if _triaged_by(fr, today - timedelta(days=2))
        else _aware(today, 17, 45)
    )
    _date_events([fr.pk], mark, lambda event: acted)
    Decision.objects.filter(pk=decision.pk).update(decided_at=acted)
    ChairsActionProposal.objects.filter(pk=proposal.pk).update(proposed_at=acted, answered_at=acted)
    AgendaItem.objects.filter(request=fr).update(added_at=acted)
    return decision


def _date_events(request_ids, mark, when) -> None:
    """Date the timeline events (and the request's state change) made since ``mark``."""
    events = list(
        RequestEvent.objects.filter(request_id__in=request_ids, created_at__gte=mark).order_by("pk")
    )
    last = {}
    for event in events:
        event.created_at = when(event)
        last[event.request_id] = event.created_at
    RequestEvent.objects.bulk_update(events, ["created_at"])
    for request_id, at in last.items():
        FundingRequest.objects.filter(pk=request_id).update(state_changed_at=at, updated_at=at)


def _date_scheduled_moves(mark) -> None:
    """Funding that started, and reviews that fell due, on their own days."""
    events = list(
        RequestEvent.objects.filter(created_at__gte=mark, kind__in=["activate", "review_due"])
        .select_related("request")
        .order_by("pk")
    )
    reviews = dict(
        Decision.objects.filter(
            request_id__in={e.request_id for e in events}, review_date__isnull=False
        ).values_list("request_id", "review_date")
    )
    for event in events:
        fr = event.request
        day = fr.start_date if event.kind == "activate" else reviews.get(fr.pk)
        if day is not None:
            event.created_at = _aware(day, 7)
    RequestEvent.objects.bulk_update(events, ["created_at"])
    for event in events:
        FundingRequest.objects.filter(pk=event.request_id).update(
            state_changed_at=event.created_at, updated_at=event.created_at
        )
        if event.kind == "review_due":
            Notification.objects.filter(
                created_at__gte=mark, url=reverse("panels:review", args=[event.request_id])
            ).update(created_at=event.created_at)


def _views(ctx: DemoContext, item, meeting: Meeting) -> None:
    """Two or three members give their view in advance (not the demo panel member)."""
    rng = ctx.rng
    demo_panel_user = ctx.shared.get("users", {}).get("panel_member")
    voters = [
        m
        for m in PanelMember.objects.filter(panel_id=meeting.panel_id, voting=True).select_related(
            "user"
        )
        if m.user != demo_panel_user
    ]
    rng.shuffle(voters)
    lean = rng.choice([2, 3, 3, 4])
    for m in voters[: rng.randint(2, 3)]:
        scores = {c: max(1, min(4, lean + rng.choice([-1, 0, 0, 1]))) for c, _ in CRITERIA}
        rec = "approve" if sum(scores.values()) >= 11 else rng.choice(["partial", "decline"])
        try:
            services.record_moderation(
                item,
                by=m.user,
                scores=scores,
                recommendation=rec,
                comment=rng.choice(
                    [
                        "Clear evidence of two cycles.",
                        "Costs look high for the hours.",
                        "Outcomes need to be measurable.",
                        "",
                    ]
                ),
            )
        except PanelError:
            continue  # recused from their own school's item


def _hold(ctx: DemoContext, meeting: Meeting, batch, officer) -> int:
    """Run a past meeting: schedule, moderate, attend, decide, close; then date it all."""
    rng = ctx.rng
    if meeting.chair is None:
        return 0
    mark = timezone.now()
    items = []
    for fr in batch:
        try:
            items.append(
                services.schedule_request(
                    fr, by=officer, meeting=meeting, today=meeting.closing_date
                )
            )
        except PanelError:
            continue
    for item in items:
        _views(ctx, item, meeting)
    chair = meeting.chair.user
    services.open_meeting(meeting, by=chair, today=meeting.date)
    members = [m for m in meeting.panel.members.all() if m.serves_on(meeting.date)]
    present = [m for m in members if m.pk == meeting.chair_id or rng.random() > 0.15]
    meeting.refresh_from_db()
    services.record_attendance(meeting, by=chair, present=present)
    made = 0
    outcomes, weights = zip(*OUTCOMES, strict=True)
    for item in items:
        outcome = rng.choices(outcomes, weights=weights)[0]
        fr = item.request
        kw = {}
        if outcome in (Outcome.APPROVED, Outcome.PARTIALLY_APPROVED):
            kw["review_date"] = meeting.date + timedelta(weeks=rng.randint(12, 30))
        if outcome == Outcome.PARTIALLY_APPROVED:
            kw["amount"] = (fr.amount_requested * Decimal("0.6")).quantize(Decimal("1"))
            if kw["amount"] <= 0:
                outcome = Outcome.APPROVED
                kw.pop("amount")
        if _demo_school_declines(ctx, fr, outcome):
            # After the draws above, so the rest of the demo is drawn as before.
            outcome, kw = Outcome.DECLINED, {}
        if kw:
            _start_after(fr, meeting.date + timedelta(days=14))
        try:
            services.record_decision(
                item,
                by=chair,
                outcome=outcome,
                rationale=RATIONALES[outcome],
                conditions="A termly progress note to the cluster." if kw else "",
                today=meeting.date,
                decided_at=decided_at(ctx, meeting),
                **kw,
            )
            made += 1
        except PanelError:
            continue  # e.g. the chair's own school: closing the meeting defers it
    # The past as it was: what was not reached went back to the LA to schedule.
    services.close_meeting(meeting, by=chair, carry_forward=False)
    _date_meeting(meeting, items, mark)
    return made


def _date_meeting(meeting: Meeting, items, mark) -> None:
    """Date the meeting's record on the days it happened (the services wrote "now").

    Agenda items and the "schedule" event on the closing date, the members' views the
    day before the meeting, and the decisions, their timeline events and the
    notifications that told the school at the meeting, item by item.
    """
    day = meeting.date
    order = {item.request_id: item.order for item in items}
    Meeting.objects.filter(pk=meeting.pk).update(
        opened_at=_aware(day, 14),
        closed_at=_aware(day, 16, 30),
        minutes_published_at=_aware(day, 16, 30),
        status=MeetingStatus.CLOSED,
    )
    # After the day's triage (the funding demo dates it 09:00-17:00).
    added = _aware(meeting.closing_date, 17, 30)
    AgendaItem.objects.filter(meeting=meeting).update(added_at=added)
    ModerationView.objects.filter(item__meeting=meeting).update(
        updated_at=_aware(day - timedelta(days=1), 18)
    )

    def decided(request_id):
        # 15:00, when the budgets demo dates the commitments, a minute an item.
        return _aware(day, 15, min(order[request_id] - 1, 59))

    for item in items:
        Decision.objects.filter(item=item).update(decided_at=decided(item.request_id))
    _date_events(
        list(order),
        mark,
        lambda event: added if event.kind == "schedule" else decided(event.request_id),
    )
    Notification.objects.filter(created_at__gte=mark).update(created_at=_aware(day, 16, 30))


def _demo_school_declines(ctx: DemoContext, fr: FundingRequest, outcome: str) -> bool:
    """Whether this decision at the demo school becomes a decline, so the demo SENCO always
    has a declined request to try reconsideration on: her school's first decision that is
    neither an award nor a decline, or else its third decision."""
    school = ctx.shared.get("demo_school")
    if school is None or fr.school_id != school.pk or ctx.shared.get("demo_school_declined"):
        return False
    decided = ctx.shared["demo_school_decisions"] = ctx.shared.get("demo_school_decisions", 0) + 1
    awarded = outcome in (Outcome.APPROVED, Outcome.PARTIALLY_APPROVED)
    declines = outcome != Outcome.DECLINED and (not awarded or decided >= 3)
    if declines or outcome == Outcome.DECLINED:
        ctx.shared["demo_school_declined"] = True
    return declines


def _start_after(fr: FundingRequest, start) -> None:
    """An award's funding starts a fortnight after its meeting (the school planned the
    dates; the demo's past requests all planned them from the demo's "today"), so its
    termly instalments and the daily activation fall on days that have passed."""
    if fr.start_date is not None and fr.start_date <= start:
        return
    length = (fr.end_date - fr.start_date) if fr.start_date and fr.end_date else None
    end = start + length if length is not None else fr.end_date
    FundingRequest.objects.filter(pk=fr.pk).update(start_date=start, end_date=end)
    fr.start_date, fr.end_date = start, end


# ---------------------------------------------------------------------------
# National scale: bulk inserts, chairs from the pure rota function, no decisions
# ---------------------------------------------------------------------------

BATCH = 2000


def _bulk_panels(ctx: DemoContext, clusters, picks_by_cluster, panel_members) -> None:
    today = ctx.today
    heads = ctx.shared.get("headteachers") or {}
    first = today - timedelta(weeks=4 * PAST_MEETINGS)
    closed = frozenset(
        holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, first.year + 2))
    )
    dates = rota.meeting_dates(first, every_weeks=4, closed_days=closed)
    if today not in dates:
        # The demo's "today" is always a meeting day.
        dates = sorted({*dates, today})
    chosen = [
        (c, picks) for c, picks in zip(clusters, picks_by_cluster, strict=True) if len(picks) >= 2
    ]
    panels = Panel.objects.bulk_create(
        [Panel(cluster=c, name=f"{c.name} panel") for c, _ in chosen], batch_size=BATCH
    )
    joined = today - timedelta(days=400)
    members = []
    for panel, (cluster, picks) in zip(panels, chosen, strict=True):
        members += [
            PanelMember(
                panel=panel,
                user=heads[s.pk],
                role=MemberRole.HEADTEACHER,
                school=s,
                start_date=joined,
            )
            for s in picks
        ]
        if panel_members.get(cluster.pk):
            members.append(
                PanelMember(
                    panel=panel,
                    user=panel_members[cluster.pk],
                    role=MemberRole.EDUCATIONAL_PSYCHOLOGIST,
                    start_date=joined,
                )
            )
    members = PanelMember.objects.bulk_create(members, batch_size=BATCH)
    by_panel = defaultdict(list)
    for m in members:
        by_panel[m.panel_id].append(m)

    meetings = []
    for panel, (cluster, _) in zip(panels, chosen, strict=True):
        # The same rule services.rebalance_rota applies, members in the order they joined.
        candidates = [
            rota.Candidate(id=m.pk, role=m.role, start=m.start_date, end=m.end_date)
            for m in sorted(by_panel[panel.pk], key=lambda m: m.pk)
        ]
        for day, chair_id in zip(dates, rota.assign_chairs(dates, candidates), strict=True):
            held = day < today
            meetings.append(
                Meeting(
                    panel=panel,
                    date=day,
                    closing_date=today - timedelta(days=1)
                    if day == today
                    else day - timedelta(days=10),
                    location=f"{cluster.name} hub",
                    chair_id=chair_id,
                    rota_chair_id=chair_id,
                    status=MeetingStatus.CLOSED if held and chair_id else MeetingStatus.SCHEDULED,
                    opened_at=_aware(day, 14) if held and chair_id else None,
                    closed_at=_aware(day, 16, 30) if held and chair_id else None,
                    minutes_published_at=_aware(day, 16, 30) if held and chair_id else None,
                )
            )
    meetings = Meeting.objects.bulk_create(meetings, batch_size=BATCH)
    # Past meetings were attended by every member (their minutes say who was there).
    Attendance.objects.bulk_create(
        [
            Attendance(meeting=meeting, member=m, school_id=m.school_id)
            for meeting in meetings
            if meeting.status == MeetingStatus.CLOSED
            for m in by_panel[meeting.panel_id]
        ],
        batch_size=BATCH,
    )
    ctx.log(
        f"panels: national scale: {len(panels)} more panels, {len(members)} members and "
        f"{len(meetings)} meetings bulk-inserted (chairs by rota); no decisions or agendas "
        "for them (through the services that would take about an hour)"
    )
