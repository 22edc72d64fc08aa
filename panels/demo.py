"""Demo step: a panel per cluster, a year's rota, past meetings with decisions, and a
meeting tomorrow with an agenda.

Everything goes through the services, as the LA officer and each meeting's chair,
with ``today`` set to the meeting's day for the past ones (a demo cannot wait a
year), so the demo obeys the panel rules: quorum, recusal, budget.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.test.utils import override_settings
from django.utils import timezone

from funding.workflow import State
from portal.demo import DemoContext

from . import services
from .models import CRITERIA, Decision, Meeting, MeetingStatus, MemberRole, Outcome, PanelMember
from .services import PanelError

HEADS_PER_PANEL = 5
PAST_MEETINGS = 6
ITEMS_PER_PAST_MEETING = 2
ITEMS_TOMORROW = 4
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


def _aware(day, hour=16):
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


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
    tomorrow = today + timedelta(days=1)
    demo_school = ctx.shared.get("demo_school")
    demo_head = ctx.shared.get("users", {}).get("headteacher")

    by_cluster = defaultdict(list)
    for s in schools:
        if s.cluster_id and s.is_open:
            by_cluster[s.cluster_id].append(s)
    ready = defaultdict(list)
    for fr in ctx.shared.get("requests", {}).get(State.READY, []):
        ready[fr.cluster_id].append(fr)

    decided = 0
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for cluster in clusters:
            cluster_schools = by_cluster.get(cluster.pk, [])
            picks = [s for s in cluster_schools if heads.get(s.pk)]
            rng.shuffle(picks)
            picks = picks[:HEADS_PER_PANEL]
            if demo_school and demo_school.cluster_id == cluster.pk and demo_school not in picks:
                picks = [demo_school, *picks[: HEADS_PER_PANEL - 1]]
            if len(picks) < 2:
                continue
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
            # A year of four-weekly meetings through tomorrow, half past and half to come.
            first = tomorrow - timedelta(weeks=4 * PAST_MEETINGS)
            services.generate_year(
                panel, by=officer, first_date=first, location=f"{cluster.name} hub", today=first
            )
            if not panel.meetings.filter(date=tomorrow).exists():
                Meeting.objects.create(panel=panel, date=tomorrow, closing_date=today)
                services.rebalance_rota(panel, today=first)
            upcoming = panel.meetings.get(date=tomorrow)
            if upcoming.closing_date < today:
                # Tomorrow's agenda is the demo: it still takes the LA's last additions today.
                Meeting.objects.filter(pk=upcoming.pk).update(closing_date=today)
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

            queue = ready.get(cluster.pk, [])
            past = list(panel.meetings.filter(date__lt=today).order_by("date"))
            for meeting in past:
                batch, queue = queue[:ITEMS_PER_PAST_MEETING], queue[ITEMS_PER_PAST_MEETING:]
                decided += _hold(ctx, meeting, batch, officer)
            for fr in queue[:ITEMS_TOMORROW]:
                fr.refresh_from_db()
                try:
                    item = services.schedule_request(fr, by=officer, meeting=upcoming)
                except PanelError as exc:
                    ctx.log(f"panels: could not schedule {fr.reference}: {exc.message}")
                    continue
                _views(ctx, item, upcoming)
        services.activate_due(today=today)
        services.reviews_due(today=today)
    ctx.log(f"panels: {len(clusters)} clusters' panels, {decided} decisions at past meetings")


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
    """Run a past meeting: schedule, moderate, attend, decide, close."""
    rng = ctx.rng
    if meeting.chair is None:
        return 0
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
        try:
            services.record_decision(
                item,
                by=chair,
                outcome=outcome,
                rationale=RATIONALES[outcome],
                conditions="A termly progress note to the cluster." if kw else "",
                today=meeting.date,
                **kw,
            )
            made += 1
        except PanelError:
            continue  # e.g. the chair's own school: closing the meeting defers it
    services.close_meeting(meeting, by=chair)
    # Back-date the record to the day it happened.
    Meeting.objects.filter(pk=meeting.pk).update(
        opened_at=_aware(meeting.date, 14),
        closed_at=_aware(meeting.date),
        minutes_published_at=_aware(meeting.date),
        status=MeetingStatus.CLOSED,
    )
    Decision.objects.filter(item__meeting=meeting).update(decided_at=_aware(meeting.date, 15))
    return made
