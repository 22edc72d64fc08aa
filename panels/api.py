"""/api/v1/ panels, meetings, agenda items, moderation views and decisions.

The same selectors (scope: 404 outside it) and services (rules) as the pages.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from funding.models import SEN2Need
from funding.selectors import get_request
from portal.api_errors import REFUSED
from portal.audit import record_view
from portal.fields import ApiMoneyField

from . import policy, selectors, services
from .calendar import plan_year
from .letters_api import DecisionFollowUpSerializer, FollowUpInSerializer, with_follow_ups
from .models import (
    CRITERIA,
    AgendaItem,
    Appeal,
    AppealOutcome,
    ChairsActionProposal,
    Decision,
    Meeting,
    ModerationView,
    Outcome,
    Panel,
    PanelMember,
    Recommendation,
    ReviewResult,
)
from .pack import pack_download
from .room import meeting_room
from .services.chairs_action import CHAIRS_ACTION_OUTCOMES

PUPIL_FIELDS = ("pupil_initials", "year_group", "sex", "primary_need", "secondary_need")


def _version_field(what: str) -> serializers.IntegerField:
    """The version an edit is based on: a stale one is refused with 409 (portal/versions.py)."""
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=f"The {what}'s version as you read it: it goes up by one on every change. "
        "If it was changed meanwhile, yours is refused with 409 (naming what differs) and "
        "nothing is saved. Leave it out to change it whatever its version.",
    )


class MemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    school = serializers.CharField(
        source="school.name", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = PanelMember
        fields = ["id", "name", "role", "voting", "school", "start_date", "end_date"]


class PanelSerializer(serializers.ModelSerializer):
    members = MemberSerializer(many=True, read_only=True)

    class Meta:
        model = Panel
        fields = [
            "id",
            "name",
            "cluster",
            "district",
            "quorum_voting",
            "quorum_headteachers",
            "quorum_needs_chair",
            "closing_days",
            "vice_chair",
            "members",
            "version",
        ]
        read_only_fields = ["vice_chair", "version"]


class PanelSetupInSerializer(serializers.Serializer):
    """A change to the panel's set-up (LA SEND officers): any of these, with the version."""

    name = serializers.CharField(required=False, max_length=150)
    quorum_voting = serializers.IntegerField(required=False, min_value=1, max_value=30)
    quorum_headteachers = serializers.IntegerField(required=False, min_value=0, max_value=30)
    quorum_needs_chair = serializers.BooleanField(required=False)
    closing_days = serializers.IntegerField(required=False, min_value=0, max_value=60)
    version = _version_field("panel")


class MeetingSerializer(serializers.ModelSerializer):
    chair = serializers.CharField(
        source="chair.name", default=None, read_only=True, allow_null=True
    )
    rota_chair = serializers.CharField(
        source="rota_chair.name", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "panel",
            "date",
            "closing_date",
            "location",
            "status",
            "chair",
            "rota_chair",
            "swap_reason",
            "opened_at",
            "closed_at",
            "minutes_published_at",
            "cancel_reason",
            "moved_from",
            "move_reason",
            "version",
        ]
        read_only_fields = ["version"]


class MeetingDetailsInSerializer(serializers.Serializer):
    """A meeting's closing date for requests and venue (its day moves with ``move``)."""

    closing_date = serializers.DateField(required=False)
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    version = _version_field("meeting")


class QuorumSerializer(serializers.Serializer):
    quorate = serializers.BooleanField()
    voting = serializers.IntegerField()
    headteachers = serializers.IntegerField()
    chair_present = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())


class RecusalSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    name = serializers.CharField()
    reason = serializers.CharField()


class DecisionSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="request.reference", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "request",
            "reference",
            "item",
            "outcome",
            "amount",
            "rationale",
            "conditions",
            "review_date",
            "deferred_to",
            "by_chairs_action",
            "decided_at",
        ]


class DecisionWithFollowUpsSerializer(DecisionSerializer):
    follow_ups = DecisionFollowUpSerializer(
        source="actions",
        many=True,
        read_only=True,
        help_text="Support beyond money: advice given and referrals, with who follows "
        "up and by when. A decline with follow-ups offers the support instead of funding.",
    )

    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "follow_ups"]


class RoomBudgetSerializer(serializers.Serializer):
    """One cluster budget on the agenda (the budget in the room), from the ledger."""

    cluster = serializers.CharField()
    stream = serializers.CharField()
    financial_year = serializers.CharField()
    has_budget = serializers.BooleanField()
    available = serializers.DecimalField(max_digits=14, decimal_places=2)
    asked = serializers.DecimalField(max_digits=14, decimal_places=2)
    awarded = serializers.DecimalField(max_digits=14, decimal_places=2)
    to_decide = serializers.DecimalField(max_digits=14, decimal_places=2)
    remains = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="If every undecided item were granted."
    )
    over = serializers.BooleanField(help_text="The agenda asks for more than remains.")
    shortfall = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReportFigureSerializer(serializers.Serializer):
    report = serializers.CharField(allow_null=True, help_text="The run read, or null: none.")
    found = serializers.BooleanField(help_text="False: the latest run has no row for the school.")


class SchoolContextSerializer(serializers.Serializer):
    """The school's record for peer challenge (no pupil data)."""

    school = serializers.CharField()
    this_year = serializers.CharField()
    awarded_this_year = serializers.DecimalField(max_digits=14, decimal_places=2)
    last_year = serializers.CharField()
    awarded_last_year = serializers.DecimalField(max_digits=14, decimal_places=2)
    fair_share_ratio = serializers.FloatField(allow_null=True)
    fair_share_report = ReportFigureSerializer()
    flags = serializers.ListField(child=serializers.CharField())
    inclusiveness_report = ReportFigureSerializer()


def _room_data(room) -> list[dict]:
    return [
        {
            "cluster": b.cluster.name,
            "stream": b.stream.name,
            "financial_year": room.financial_year,
            "has_budget": b.has_budget,
            "available": str(b.available),
            "asked": str(b.asked),
            "awarded": str(b.awarded),
            "to_decide": str(b.to_decide),
            "remains": str(b.remains),
            "over": b.over,
            "shortfall": str(b.shortfall),
        }
        for b in room.budgets
    ]


def _context_data(c) -> dict | None:
    if c is None:
        return None

    def source(s):
        return {"report": s.label if s else None, "found": bool(s and s.row)}

    return {
        "school": c.school.name,
        "this_year": c.this_year_label,
        "awarded_this_year": str(c.this_year),
        "last_year": c.last_year_label,
        "awarded_last_year": str(c.last_year),
        "fair_share_ratio": c.reports.fair_share_ratio,
        "fair_share_report": source(c.reports.fair_share),
        "flags": c.reports.flags,
        "inclusiveness_report": source(c.reports.inclusiveness),
    }


def _item_data(row: selectors.ItemRow, pupil_detail: bool) -> dict:
    item, fr = row.item, row.item.request
    request_data = {
        "id": fr.pk,
        "reference": fr.reference,
        "school": fr.school.name,
        "stream": fr.stream.name,
        "request_type": fr.request_type,
        "amount_requested": str(fr.amount_requested),
    }
    if pupil_detail:
        request_data |= {f: getattr(fr, f) for f in PUPIL_FIELDS}
    return {
        "id": item.pk,
        "meeting": item.meeting_id,
        "order": item.order,
        "kind": item.kind,
        "ratified_at": item.ratified_at,
        "request": request_data,
        "recused": [{"member": m.pk, "name": m.name, "reason": why} for m, why in row.recused],
        "you_are_recused": row.user_recused,
        "view_count": row.view_count,
        "quorate_for_item": row.quorum.quorate if row.quorum else None,
        "chair_recused": row.chair_recused,
        "acting_chair": (
            {"member": row.acting_chair.pk, "name": row.acting_chair.name}
            if row.acting_chair
            else None
        ),
        "acting_chair_reason": row.acting_chair_reason,
        "eligible_chairs": [{"member": m.pk, "name": m.name} for m in row.eligible_chairs],
        "views_revealed_at": row.reveal.revealed_at if row.reveal else None,
        "you_see_views": row.views is not None,
        "decision": DecisionSerializer(row.decision).data if row.decision else None,
        "school_context": _context_data(row.school_context),
    }


class ChairSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    name = serializers.CharField()


class MemberInSerializer(serializers.Serializer):
    # Bounded: an id past 64 bits would reach the database (and crash SQLite).
    member = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class ViceChairInSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, allow_null=True)
    version = _version_field("panel")


class AgendaItemSerializer(serializers.Serializer):
    """Documents the shape of an agenda item (built from the scoped meeting page)."""

    id = serializers.IntegerField()
    meeting = serializers.IntegerField()
    order = serializers.IntegerField()
    kind = serializers.CharField()
    request = serializers.DictField()
    recused = RecusalSerializer(many=True)
    you_are_recused = serializers.BooleanField()
    view_count = serializers.IntegerField()
    quorate_for_item = serializers.BooleanField(allow_null=True)
    chair_recused = serializers.CharField(
        allow_null=True, help_text="Why the meeting's chair is recused from the item, or null."
    )
    acting_chair = ChairSerializer(
        allow_null=True, help_text="Who chairs the item in place of the recused chair."
    )
    acting_chair_reason = serializers.CharField(allow_blank=True)
    eligible_chairs = ChairSerializer(
        many=True, help_text="Members who may be named to chair it (for whoever runs the meeting)."
    )
    views_revealed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the item's chair showed the panel every view (or null)."
    )
    you_see_views = serializers.BooleanField(
        help_text="False until you have recorded your own view (or the chair reveals them)."
    )
    decision = DecisionSerializer(allow_null=True)
    school_context = SchoolContextSerializer(
        allow_null=True, help_text="Null for an item you are recused from."
    )


class SpreadRowSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    label = serializers.CharField()
    min = serializers.IntegerField()
    max = serializers.IntegerField()
    total = serializers.IntegerField(
        allow_null=True, help_text="For the item's chair (and LA SEND officers) only."
    )
    mean = serializers.FloatField()
    disagree = serializers.BooleanField()


class SpreadSerializer(serializers.Serializer):
    """How the members' views of an item spread, for those who may see them."""

    count = serializers.IntegerField()
    revealed_at = serializers.DateTimeField(allow_null=True)
    revealed_by = serializers.CharField(allow_null=True)
    disagree = serializers.BooleanField()
    recommendations = serializers.DictField(child=serializers.IntegerField())
    rows = SpreadRowSerializer(many=True)


class WithdrawalInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class WithdrawalSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    reason = serializers.CharField(help_text="The conflict as declared.")
    declared_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField()
    withdrawal_reason = serializers.CharField()


def _spread_data(row: selectors.ItemRow) -> dict:
    spread = row.spread
    reveal = row.reveal
    by = reveal.revealed_by if reveal else None
    return {
        "count": spread.count if spread else 0,
        "revealed_at": reveal.revealed_at if reveal else None,
        "revealed_by": (by.get_full_name() or by.get_username()) if by else None,
        "disagree": spread.disagree if spread else False,
        "recommendations": spread.recommendations if spread else {},
        "rows": [
            {
                "criterion": r["criterion"],
                "label": r["label"],
                "min": r["min"],
                "max": r["max"],
                "total": r["total"] if row.sees_totals else None,
                "mean": r["mean"],
                "disagree": r["disagree"],
            }
            for r in (spread.rows if spread else [])
        ],
    }


class PaperDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    download = serializers.CharField(help_text="The scoped, audited download (a page URL).")


class PaperCycleSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    assess = serializers.CharField()
    plan = serializers.CharField()
    duration_weeks = serializers.IntegerField()
    impact = serializers.CharField()


class PaperLineSerializer(serializers.Serializer):
    """A costed line: staffing (hours, weeks, rate) or another cost (its amount)."""

    kind = serializers.CharField()
    description = serializers.CharField()
    hours_per_week = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    weeks = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    hourly_rate = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    note = serializers.CharField()
    card_rate = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, help_text="The rate card's rate."
    )
    rate_reason = serializers.CharField(help_text="Why the rate is not the card's.")
    cost = serializers.DecimalField(max_digits=12, decimal_places=2)


class PaperEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["triage", "return", "request_information", "resubmit"],
        help_text="triage: the LA's note; return / request_information: a question; "
        "resubmit: the school's answer.",
    )
    message = serializers.CharField()
    at = serializers.DateTimeField()


class PapersSerializer(serializers.Serializer):
    """An item's full papers (pseudonymised: no pupil name, no UPN)."""

    item = serializers.IntegerField()
    request = serializers.DictField()
    cycles = PaperCycleSerializer(many=True)
    provision_lines = PaperLineSerializer(many=True)
    documents = PaperDocumentSerializer(many=True)
    triage_notes = PaperEventSerializer(many=True)
    returns = PaperEventSerializer(many=True)


PAPER_FIELDS = (
    *PUPIL_FIELDS,
    "sen_support_since",
    "ordinarily_available_provision",
    "outcomes_sought",
    "parent_voice",
    "pupil_voice",
)


def _event_data(e) -> dict:
    return {"kind": e.kind, "message": e.message, "at": e.created_at}


def _papers_data(item: AgendaItem, papers: selectors.Papers) -> dict:
    fr = item.request
    return {
        "item": item.pk,
        "request": {
            "id": fr.pk,
            "reference": fr.reference,
            "school": fr.school.name,
            "stream": fr.stream.name,
            "request_type": fr.request_type,
            "amount_requested": str(fr.amount_requested),
            "total_cost": str(fr.total_cost),
            "school_contribution": str(fr.school_contribution),
            **{f: getattr(fr, f) for f in PAPER_FIELDS},
        },
        "cycles": PaperCycleSerializer(papers.cycles, many=True).data,
        "provision_lines": PaperLineSerializer(papers.provision_lines, many=True).data,
        "documents": [
            {
                "id": d.pk,
                "name": d.original_name,
                "kind": d.kind,
                "size": d.size,
                "download": reverse("funding:download", args=[fr.pk, d.pk]),
            }
            for d in papers.documents
        ],
        "triage_notes": [_event_data(e) for e in papers.triage_notes],
        "returns": [_event_data(e) for e in papers.returns],
    }


class AgendaSerializer(serializers.Serializer):
    meeting = MeetingSerializer()
    quorum = QuorumSerializer()
    present = serializers.ListField(child=serializers.IntegerField())
    items = AgendaItemSerializer(many=True)
    budget_in_the_room = RoomBudgetSerializer(many=True)


class ModerationViewSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)

    class Meta:
        model = ModerationView
        fields = [
            "id",
            "member",
            "member_name",
            *[c for c, _ in CRITERIA],
            "recommendation",
            "comment",
            "updated_at",
        ]
        read_only_fields = ["id", "member", "member_name", "updated_at"]


class AttendanceInSerializer(serializers.Serializer):
    # Bounded: an id past 64 bits would reach the database (and crash SQLite) in ``pk__in``.
    present = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    )


class ScheduleInSerializer(serializers.Serializer):
    request = serializers.IntegerField()
    meeting = serializers.IntegerField(required=False, allow_null=True)


_ID = dict(min_value=1, max_value=2**63 - 1)


class ScheduleManyInSerializer(serializers.Serializer):
    requests = serializers.ListField(
        child=serializers.IntegerField(**_ID), min_length=1, max_length=500
    )
    meeting = serializers.IntegerField(**_ID)


class ScheduledItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    request = serializers.IntegerField()
    reference = serializers.CharField()


class ScheduledManySerializer(serializers.Serializer):
    items = ScheduledItemSerializer(many=True)
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Requests whose school the meeting's chair is from (an acting chair takes them).",
    )


class SchedulableQuerySerializer(serializers.Serializer):
    cluster = serializers.IntegerField(required=False, allow_null=True, default=None, **_ID)
    stream = serializers.IntegerField(required=False, allow_null=True, default=None, **_ID)
    need = serializers.ChoiceField(choices=SEN2Need.choices, required=False, default="")


class SchedulableSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    state = serializers.CharField()
    request_type = serializers.CharField()
    school = serializers.CharField(source="school.name")
    cluster = serializers.IntegerField(source="cluster_id")
    stream = serializers.CharField(source="stream.name")
    primary_need = serializers.CharField()
    amount_requested = serializers.DecimalField(max_digits=12, decimal_places=2)


class ConflictInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class DecisionInSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    rationale = serializers.CharField()
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    review_date = serializers.DateField(required=False, allow_null=True, default=None)
    amount = ApiMoneyField(
        name="the amount approved", required=False, allow_null=True, default=None
    )
    deferred_to = serializers.IntegerField(required=False, allow_null=True, default=None)
    follow_ups = FollowUpInSerializer(
        many=True,
        required=False,
        default=list,
        help_text="Support beyond money, with any outcome (one of each kind at most).",
    )


class CloseInSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(
        help_text="true: close now, as close-preview says (false or missing: refused)."
    )


class MinutesMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    voting = serializers.BooleanField()
    school = serializers.CharField(allow_null=True)


class MinutesItemSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    reference = serializers.CharField()
    stream = serializers.CharField()
    kind = serializers.CharField()
    ratified = serializers.BooleanField()
    acting_chair = serializers.CharField(allow_null=True)
    acting_chair_reason = serializers.CharField(allow_blank=True)
    recused = RecusalSerializer(
        many=True, help_text="A declared conflict says so, never its reason."
    )
    decision = DecisionSerializer(allow_null=True)


class MinutesSerializer(serializers.Serializer):
    meeting = MeetingSerializer()
    present = MinutesMemberSerializer(many=True)
    absent = serializers.ListField(child=serializers.CharField())
    quorum = QuorumSerializer()
    items = MinutesItemSerializer(many=True)


def _member_data(m: PanelMember) -> dict:
    return {
        "id": m.pk,
        "name": m.name,
        "role": m.role,
        "voting": m.voting,
        "school": m.school.name if m.school_id else None,
    }


def _minutes_data(meeting: Meeting, minutes: dict) -> dict:
    q = minutes["quorum"]
    return {
        "meeting": MeetingSerializer(meeting).data,
        "present": [_member_data(m) for m in minutes["present"]],
        "absent": [m.name for m in minutes["absent"]],
        "quorum": QuorumSerializer(q).data,
        "items": [
            {
                "order": r["item"].order,
                "reference": r["item"].request.reference,
                "stream": r["item"].request.stream.name,
                "kind": r["item"].kind,
                "ratified": r["item"].ratified_at is not None,
                "acting_chair": r["acting_chair"].name if r["acting_chair"] else None,
                "acting_chair_reason": r["item"].acting_chair_reason,
                "recused": [
                    {"member": m.pk, "name": m.name, "reason": why} for m, why in r["recused"]
                ],
                "decision": DecisionSerializer(r["decision"]).data if r["decision"] else None,
            }
            for r in minutes["rows"]
        ],
    }


class DeferredItemSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    request = serializers.IntegerField()
    reference = serializers.CharField()
    school = serializers.CharField()


class ClosePreviewSerializer(serializers.Serializer):
    meeting = MeetingSerializer()
    decided = serializers.IntegerField(help_text="Items with a decision.")
    deferred = DeferredItemSerializer(many=True, help_text="Items closing will defer.")
    deferred_to = MeetingSerializer(
        allow_null=True,
        help_text="Where they go (on its agenda); null: back to the LA SEND officer.",
    )
    minutes_to_schools = serializers.IntegerField(
        help_text="How many of the cluster's schools are sent the minutes."
    )
    minutes = MinutesSerializer()


def _close_preview_data(preview: selectors.ClosePreview) -> dict:
    return {
        "meeting": MeetingSerializer(preview.meeting).data,
        "decided": preview.decided,
        "deferred": [
            {
                "item": i.pk,
                "request": i.request_id,
                "reference": i.request.reference,
                "school": i.request.school.name,
            }
            for i in preview.undecided
        ],
        "deferred_to": MeetingSerializer(preview.onward).data if preview.onward else None,
        "minutes_to_schools": preview.cluster_schools,
        "minutes": _minutes_data(preview.meeting, preview.minutes),
    }


class YearInSerializer(serializers.Serializer):
    first_date = serializers.DateField()
    every_weeks = serializers.IntegerField(min_value=1, max_value=12, default=4)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PublishYearInSerializer(YearInSerializer):
    confirm_chair_changes = serializers.BooleanField(
        default=False,
        help_text="true: publish even though published meetings change chair (year-preview "
        "lists them); otherwise such a publication is refused (409) and nothing is made.",
    )


class PlannedMeetingSerializer(serializers.Serializer):
    date = serializers.DateField()
    closing_date = serializers.DateField()
    chair = serializers.CharField(allow_null=True)
    moved_from = serializers.DateField(allow_null=True, help_text="The day it moved off.")
    moved_because = serializers.CharField(allow_blank=True)


class ChairChangeSerializer(serializers.Serializer):
    meeting = serializers.IntegerField()
    date = serializers.DateField()
    was = serializers.CharField(allow_null=True)
    becomes = serializers.CharField(allow_null=True)


class SkippedDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.CharField()


class YearPlanSerializer(serializers.Serializer):
    problem = serializers.CharField(
        allow_null=True, help_text="Why it cannot be published (null: it can)."
    )
    meetings = PlannedMeetingSerializer(many=True)
    skipped = SkippedDaySerializer(many=True)
    chair_changes = ChairChangeSerializer(many=True)


def _name(member) -> str | None:
    return member.name if member else None


def _plan_data(plan) -> dict:
    return {
        "problem": plan.problem,
        "meetings": [
            {
                "date": p.date,
                "closing_date": p.closing_date,
                "chair": _name(p.chair),
                "moved_from": p.moved_from,
                "moved_because": p.moved_because,
            }
            for p in plan.meetings
        ],
        "skipped": [{"date": d, "reason": why} for d, why in plan.skipped],
        "chair_changes": [
            {
                "meeting": c.meeting.pk,
                "date": c.meeting.date,
                "was": _name(c.was),
                "becomes": _name(c.becomes),
            }
            for c in plan.chair_changes
        ],
    }


class CancelInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    version = _version_field("meeting")


class CancelledSerializer(serializers.Serializer):
    meeting = MeetingSerializer()
    moved_to = MeetingSerializer(
        allow_null=True, help_text="Where its agenda went; null: its requests are ready again."
    )
    items = serializers.IntegerField()


class MoveInSerializer(serializers.Serializer):
    date = serializers.DateField()
    closing_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: the panel's usual."
    )
    reason = serializers.CharField(max_length=300)
    version = _version_field("meeting")


class PanelViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PanelSerializer
    filterset_fields = ["cluster", "district"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Panel.objects.none()
        return selectors.visible_panels(self.request.user).prefetch_related(
            "members__user", "members__school"
        )

    @extend_schema(
        request=ViceChairInSerializer,
        responses={200: PanelSerializer, 400: REFUSED, 404: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="vice-chair")
    def vice_chair(self, request, pk=None):
        """Set the panel's vice-chair (a voting member; null for none): LA SEND officers.
        The vice-chair takes the chair for an item the meeting's chair is recused from."""
        panel = self.get_object()
        data = ViceChairInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member_id = data.validated_data["member"]
        member = None
        if member_id is not None:
            member = PanelMember.objects.filter(panel=panel, pk=member_id).first()
            if member is None:
                raise services.PanelError("Choose a voting member of this panel as vice-chair.")
        services.set_vice_chair(
            panel, by=request.user, member=member, version=data.validated_data.get("version")
        )
        return Response(PanelSerializer(self.get_queryset().get(pk=panel.pk)).data)

    @extend_schema(
        request=PanelSetupInSerializer,
        responses={200: PanelSerializer, 400: REFUSED, 404: REFUSED},
    )
    def partial_update(self, request, pk=None):
        """Change the panel's name, quorum rule or closing days (LA SEND officers). Send the
        ``version`` you read: if the panel was changed since, 409 and nothing changes."""
        panel = self.get_object()
        data = PanelSetupInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        services.update_panel(panel, by=request.user, version=version, **fields)
        return Response(PanelSerializer(self.get_queryset().get(pk=panel.pk)).data)

    @extend_schema(
        request=YearInSerializer, responses={200: YearPlanSerializer, 403: REFUSED, 404: REFUSED}
    )
    @action(detail=True, methods=["post"], url_path="year-preview")
    def year_preview(self, request, pk=None):
        """What publishing a year from first_date would do, writing nothing: the meetings
        (school days, closing on working days) with their chairs, the days moved or skipped
        and why, and any published meeting whose chair would change (LA SEND officers)."""
        panel = self.get_object()
        if not policy.can_manage_panels(request.user):
            raise PermissionDenied("Only an LA SEND officer can do this.")
        data = YearInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_year(panel, **data.validated_data, today=timezone.localdate())
        return Response(_plan_data(plan))

    @extend_schema(
        request=PublishYearInSerializer,
        responses={201: MeetingSerializer(many=True), 400: REFUSED, 404: REFUSED, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def year(self, request, pk=None):
        """Publish a year of meetings as year-preview shows them. Refused, creating nothing,
        for a first date in the past (400), or a change of chair on a published meeting
        without confirm_chair_changes (409, naming each change)."""
        panel = self.get_object()
        data = PublishYearInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = services.generate_year(panel, by=request.user, **data.validated_data)
        return Response(MeetingSerializer(made, many=True).data, status=status.HTTP_201_CREATED)


def _agenda_payload(request, meeting: Meeting) -> dict:
    page = selectors.meeting_page(request.user, meeting)
    room = meeting_room(page)
    read = [r.item.request_id for r in page.rows if r.reads_papers]
    if read:
        record_view(
            request,
            object_type="funding.FundingRequest",
            object_ids=read,
            action="view_agenda",
            detail=f"API agenda of meeting {meeting.pk}",
        )
    q = page.quorum
    return {
        "meeting": MeetingSerializer(meeting).data,
        "quorum": {
            "quorate": q.quorate,
            "voting": q.voting,
            "headteachers": q.headteachers,
            "chair_present": q.chair_present,
            "problems": q.problems,
        },
        "present": sorted(page.present_ids),
        "items": [_item_data(r, r.reads_papers) for r in page.rows],
        "budget_in_the_room": _room_data(room),
    }


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MeetingSerializer
    filterset_fields = ["panel", "status", "date"]
    ordering_fields = ["date"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        return selectors.visible_meetings(self.request.user).order_by("date", "pk")

    @extend_schema(
        request=MeetingDetailsInSerializer,
        responses={200: MeetingSerializer, 400: REFUSED, 404: REFUSED},
    )
    def partial_update(self, request, pk=None):
        """Change a meeting's closing date for requests or its venue, before it starts (LA
        SEND officers). Send the ``version`` you read: if the meeting was changed since,
        409 and nothing changes."""
        meeting = self.get_object()
        data = MeetingDetailsInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        meeting = services.update_meeting(
            meeting,
            by=request.user,
            closing_date=v.get("closing_date", meeting.closing_date),
            location=v.get("location", meeting.location),
            version=v.get("version"),
        )
        return Response(MeetingSerializer(meeting).data)

    @extend_schema(responses=AgendaSerializer)
    @action(detail=True)
    def agenda(self, request, pk=None):
        """The agenda: items, recusals, quorum; pupil fields only for those who may see them."""
        return Response(_agenda_payload(request, self.get_object()))

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The agenda pack (PDF, pseudonymised)."
            ),
            400: REFUSED,
        }
    )
    @action(detail=True)
    def pack(self, request, pk=None):
        """The agenda pack, once the closing date has passed: the meeting and each item's
        papers (titles only for the items the member is recused from)."""
        meeting = self.get_object()
        return pack_download(request, meeting, detail=f"API agenda pack of meeting {meeting.pk}")

    @extend_schema(request=None, responses={200: MeetingSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        meeting = services.open_meeting(self.get_object(), by=request.user)
        return Response(MeetingSerializer(meeting).data)

    @extend_schema(request=AttendanceInSerializer, responses={200: QuorumSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        meeting = self.get_object()
        data = AttendanceInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        present = list(
            PanelMember.objects.filter(panel=meeting.panel, pk__in=data.validated_data["present"])
        )
        if len(present) != len(set(data.validated_data["present"])):
            return Response({"detail": "Unknown member."}, status=status.HTTP_400_BAD_REQUEST)
        q = services.record_attendance(meeting, by=request.user, present=present)
        return Response(QuorumSerializer(q).data)

    @extend_schema(responses={200: ClosePreviewSerializer, 404: REFUSED})
    @action(detail=True, url_path="close-preview", pagination_class=None)
    def close_preview(self, request, pk=None):
        """What closing the meeting will do, for whoever runs it while it is open: the items
        not decided and the meeting they are deferred to, the minutes as they will be
        published, and who is told (404 to anyone else)."""
        preview = selectors.close_preview(request.user, self.get_object())
        return Response(_close_preview_data(preview))

    @extend_schema(
        request=CloseInSerializer, responses={200: MeetingSerializer, 400: REFUSED, 404: REFUSED}
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the meeting, on confirmation (``confirm: true``, having read close-preview):
        items not decided are deferred and the minutes published."""
        meeting = self.get_object()
        data = CloseInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data["confirm"]:
            raise services.PanelError(
                "Confirm the close (confirm: true) once you have read what it will do "
                "(close-preview)."
            )
        meeting = services.close_meeting(meeting, by=request.user)
        return Response(MeetingSerializer(meeting).data)

    @extend_schema(
        request=CancelInSerializer, responses={200: CancelledSerializer, 400: REFUSED, 404: REFUSED}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a meeting not yet started, with a reason (LA SEND officers): its agenda
        moves to the panel's next meeting, or its requests go back to ready if there is
        none; members and the schools with items are told."""
        meeting = self.get_object()
        data = CancelInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.cancel_meeting(meeting, by=request.user, **data.validated_data)
        return Response(
            {
                "meeting": MeetingSerializer(done.meeting).data,
                "moved_to": MeetingSerializer(done.moved_to).data if done.moved_to else None,
                "items": done.items,
            }
        )

    @extend_schema(
        request=MoveInSerializer, responses={200: MeetingSerializer, 400: REFUSED, 404: REFUSED}
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move a meeting not yet started to another school day, with a reason (LA SEND
        officers); the same day rules as publishing; its agenda goes with it."""
        meeting = self.get_object()
        data = MoveInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        moved = services.move_meeting(
            meeting,
            by=request.user,
            day=v["date"],
            closing_date=v["closing_date"],
            reason=v["reason"],
            version=v.get("version"),
        )
        return Response(MeetingSerializer(moved).data)


class MinutesViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A closed meeting's published minutes, for its panel, its cluster's schools and the
    LA: as on the minutes page, a declared conflict without its reason."""

    serializer_class = MinutesSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        return selectors.meetings_with_minutes(self.request.user)

    @extend_schema(responses={200: MinutesSerializer, 404: REFUSED})
    def retrieve(self, request, *args, **kwargs):
        meeting = self.get_object()
        return Response(_minutes_data(meeting, selectors.minutes(meeting)))


class AgendaItemViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AgendaItemSerializer
    queryset = AgendaItem.objects.none()
    # Integer ids only: the selector's lookup would turn any other text into a 500 (and the
    # schema now documents the id as an integer).
    lookup_value_regex = r"\d+"

    def _item(self) -> AgendaItem:
        return selectors.get_item(self.request.user, self.kwargs["pk"])

    def _row(self, item: AgendaItem):
        return selectors.item_row(self.request.user, item)

    def retrieve(self, request, *args, **kwargs):
        item = self._item()
        page, row = self._row(item)
        meeting_room(page)  # the item's school context
        if row.reads_papers:
            record_view(request, item.request, action="view_papers", detail=f"API item {item.pk}")
        return Response(_item_data(row, row.reads_papers))

    @extend_schema(responses={200: PapersSerializer, 404: REFUSED})
    @action(detail=True, pagination_class=None)
    def papers(self, request, pk=None):
        """The item's full papers, for members not recused from it and LA SEND officers (404
        to anyone else: a recused member sees the item's title and nothing more)."""
        item = self._item()
        _, row, papers = selectors.item_papers(request.user, item)
        if papers is None:
            raise NotFound("No papers you may read.")
        record_view(request, item.request, action="view_papers", detail=f"API papers {item.pk}")
        return Response(_papers_data(item, papers))

    def _row_with_views(self, item: AgendaItem) -> selectors.ItemRow:
        """The item's row if the user may see the members' views: 404 to a member recused
        from it (or anyone without a seat), 403 to a member yet to record their own."""
        page, row = self._row(item)
        if row.views is None:
            if row.user_recused or page.me is None:
                raise NotFound("No views you may read.")
            raise services.PanelError(
                "Record your own view first: the other members' views are shown to you once "
                "you have, or when the chair reveals them at the meeting.",
                status=status.HTTP_403_FORBIDDEN,
            )
        return row

    @extend_schema(
        methods=["get"],
        responses={200: ModerationViewSerializer(many=True), 403: REFUSED, 404: REFUSED},
    )
    @extend_schema(
        methods=["post"],
        request=ModerationViewSerializer,
        responses={201: ModerationViewSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def views(self, request, pk=None):
        """The members' views of the item (never to a member recused from it), or record yours."""
        item = self._item()
        if request.method == "POST":
            data = ModerationViewSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            view = services.record_moderation(
                item,
                by=request.user,
                scores={c: v[c] for c, _ in CRITERIA},
                recommendation=v["recommendation"],
                comment=v.get("comment", ""),
            )
            return Response(ModerationViewSerializer(view).data, status=status.HTTP_201_CREATED)
        row = self._row_with_views(item)
        return Response(ModerationViewSerializer(row.views, many=True).data)

    @extend_schema(responses={200: SpreadSerializer, 403: REFUSED, 404: REFUSED})
    @action(detail=True, pagination_class=None)
    def spread(self, request, pk=None):
        """The spread of the members' views, criterion by criterion (with each criterion's
        total for the item's chair), under the same rule as the views."""
        return Response(_spread_data(self._row_with_views(self._item())))

    @extend_schema(request=None, responses={201: SpreadSerializer, 400: REFUSED, 404: REFUSED})
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The item's chair shows the panel every member's view at the open meeting."""
        item = self._item()
        services.reveal_spread(item, by=request.user)
        _, row = self._row(selectors.get_item(request.user, item.pk))
        return Response(_spread_data(row), status=status.HTTP_201_CREATED)

    @extend_schema(request=ConflictInSerializer, responses={201: None, 400: REFUSED})
    @action(detail=True, methods=["post"])
    def conflict(self, request, pk=None):
        item = self._item()
        data = ConflictInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.declare_conflict(item, by=request.user, reason=data.validated_data["reason"])
        return Response(status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WithdrawalInSerializer,
        responses={200: WithdrawalSerializer, 400: REFUSED, 404: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="conflict-withdrawal")
    def conflict_withdrawal(self, request, pk=None):
        """Withdraw the conflict you declared on this item by mistake, with a reason (kept
        for the LA's record). A recusal from your own school cannot be withdrawn."""
        item = self._item()
        data = WithdrawalInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conflict = services.withdraw_conflict(
            item, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(WithdrawalSerializer(conflict).data)

    @extend_schema(
        request=DecisionInSerializer,
        responses={201: DecisionWithFollowUpsSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        item = self._item()
        data = DecisionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        deferred_to = v.pop("deferred_to")
        if deferred_to:
            v["deferred_to"] = selectors.get_meeting(request.user, deferred_to)
        follow_ups = [services.FollowUp(**f) for f in v.pop("follow_ups")]
        decision = services.decide_with_follow_ups(
            item, by=request.user, follow_ups=follow_ups, **v
        )
        decision = with_follow_ups(selectors.visible_decisions(request.user)).get(pk=decision.pk)
        return Response(
            DecisionWithFollowUpsSerializer(decision).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=MemberInSerializer,
        responses={200: AgendaItemSerializer, 400: REFUSED, 404: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="acting-chair")
    def acting_chair(self, request, pk=None):
        """Name who chairs an item the meeting's chair is recused from: a voting member
        present and not recused (the meeting's chair or an LA SEND officer names them)."""
        item = self._item()
        data = MemberInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = PanelMember.objects.filter(
            panel_id=item.meeting.panel_id, pk=data.validated_data["member"]
        ).first()
        if member is None:
            raise services.PanelError("Choose a member of this panel to chair the item.")
        services.name_acting_chair(item, by=request.user, member=member)
        _, row = self._row(selectors.get_item(request.user, item.pk))
        return Response(_item_data(row, False))

    @extend_schema(
        request=ScheduleInSerializer, responses={201: AgendaItemSerializer, 400: REFUSED}
    )
    @action(detail=False, methods=["post"])
    def schedule(self, request):
        """Put a ready request on a meeting (or the next open one of its cluster's panel)."""
        data = ScheduleInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fr = get_request(request.user, data.validated_data["request"])
        meeting_id = data.validated_data.get("meeting")
        meeting = selectors.get_meeting(request.user, meeting_id) if meeting_id else None
        item = services.schedule_request(fr, by=request.user, meeting=meeting)
        _, row = self._row(item)
        return Response(_item_data(row, True), status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[SchedulableQuerySerializer],
        responses={200: SchedulableSerializer(many=True), 403: REFUSED},
    )
    @action(detail=False, pagination_class=None)
    def schedulable(self, request):
        """Requests ready for a panel (ready or deferred), filtered by cluster, stream and
        primary need, as on the bulk scheduling page (LA SEND officers; first 500)."""
        if not policy.can_manage_panels(request.user):
            raise PermissionDenied("Only an LA SEND officer can do this.")
        query = SchedulableQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = selectors.bulk_schedule(request.user, **query.validated_data)
        return Response(SchedulableSerializer(page.requests, many=True).data)

    @extend_schema(
        request=ScheduleManyInSerializer,
        responses={201: ScheduledManySerializer, 400: REFUSED, 404: REFUSED},
    )
    @action(detail=False, methods=["post"], url_path="schedule-many")
    def schedule_many(self, request):
        """Put many ready requests on one meeting in one action: all or none, the refusal
        naming each request that cannot go on it; warnings where the meeting's chair is
        from a requesting school."""
        data = ScheduleManyInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not policy.can_manage_panels(request.user):
            raise services.PanelError("Only an LA SEND officer can do this.")
        meeting = selectors.get_meeting(request.user, v["meeting"])
        requests = selectors.schedulable_by_ids(request.user, v["requests"])
        done = services.schedule_many(requests, by=request.user, meeting=meeting)
        return Response(
            {
                "items": [
                    {"id": i.pk, "request": i.request_id, "reference": i.request.reference}
                    for i in done.items
                ],
                "warnings": done.warnings,
            },
            status=status.HTTP_201_CREATED,
        )


class DecisionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DecisionWithFollowUpsSerializer
    filterset_fields = ["outcome", "request"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Decision.objects.none()
        return with_follow_ups(selectors.visible_decisions(self.request.user))


class AppealSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="request.reference", read_only=True)
    meeting_date = serializers.DateField(
        source="meeting.date", default=None, read_only=True, allow_null=True
    )
    request_state = serializers.CharField(source="request.state", read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "request",
            "reference",
            "outcome",
            "notes",
            "heard_on",
            "recorded_at",
            "meeting",
            "meeting_date",
            "request_state",
        ]


class AppealInSerializer(serializers.Serializer):
    request = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=AppealOutcome.choices)
    notes = serializers.CharField()
    heard_on = serializers.DateField()


class AppealViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Appeal outcomes: the school reads its own, the LA SEND officer records them."""

    serializer_class = AppealSerializer
    filterset_fields = ["outcome", "request"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appeal.objects.none()
        return selectors.visible_appeals(self.request.user)

    @extend_schema(request=AppealInSerializer, responses={201: AppealSerializer, 400: REFUSED})
    def create(self, request, *args, **kwargs):
        data = AppealInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        fr = get_request(request.user, v.pop("request"))
        appeal = services.record_appeal(fr, by=request.user, **v)
        appeal.request.refresh_from_db()
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


class OutcomeAnswerSerializer(serializers.Serializer):
    """One outcome the request sought, as the review answers it."""

    result = serializers.ChoiceField(
        choices=ReviewResult.choices,
        error_messages={
            "invalid_choice": "Say whether the outcome was met, partly met or not met.",
            "required": "Say whether the outcome was met, partly met or not met.",
        },
    )
    # Blank is the service's to refuse, naming the outcome.
    evidence = serializers.CharField(
        max_length=5000,
        allow_blank=True,
        error_messages={
            "required": "Give the evidence for the outcome.",
            "max_length": "Give the evidence in 5,000 characters or fewer.",
        },
    )


class OutcomeResultSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    result = serializers.ChoiceField(choices=ReviewResult.choices)
    evidence = serializers.CharField()


class ReviewInSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=ReviewResult.choices)
    evidence = serializers.CharField()
    amount_spent = ApiMoneyField(name="the amount spent")
    outcomes = OutcomeAnswerSerializer(
        many=True,
        required=False,
        help_text="One answer for each outcome the request sought (its outcomes_sought, one "
        "a line), in order.",
    )


class SettlementSerializer(serializers.Serializer):
    """What closing the award did with its money (budgets.selectors.Settlement)."""

    committed = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    spent = serializers.DecimalField(max_digits=12, decimal_places=2)
    final_payment = serializers.DecimalField(max_digits=12, decimal_places=2)
    overpaid = serializers.DecimalField(max_digits=12, decimal_places=2)
    released = serializers.DecimalField(max_digits=12, decimal_places=2)
    sentence = serializers.CharField()


class ReviewSerializer(serializers.Serializer):
    request = serializers.IntegerField(source="request_id")
    reference = serializers.CharField(source="request.reference")
    state = serializers.CharField(source="request.state")
    result = serializers.ChoiceField(choices=ReviewResult.choices)
    evidence = serializers.CharField()
    amount_spent = serializers.DecimalField(max_digits=12, decimal_places=2)
    reported_at = serializers.DateTimeField()
    outcomes = OutcomeResultSerializer(source="results.all", many=True, read_only=True)
    settlement = SettlementSerializer(allow_null=True, default=None)


class RequestReviewViewSet(viewsets.GenericViewSet):
    """The SENCO's outcome review at the review date, as on /panels/requests/<pk>/review/.

    Only the action: the request itself is read and changed at /api/v1/requests/<pk>/."""

    serializer_class = ReviewSerializer
    queryset = Decision.objects.none()  # the request is looked up through the selectors
    lookup_value_regex = r"\d+"

    @extend_schema(request=ReviewInSerializer, responses={200: ReviewSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Report the outcomes and what the provision cost: closes the request and settles
        its award (a final payment, the rest back to the cluster budget, or an overpayment
        flagged for recovery). Only the requesting school's staff; others get 404."""
        fr = selectors.request_for_review(request.user, pk)
        data = ReviewInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        problem = services.spent_problem(fr.amount_awarded or Decimal("0"), v["amount_spent"])
        if problem:
            # A field's message, as the page shows it beside the amount.
            raise serializers.ValidationError({"amount_spent": [problem]})
        reported = services.report_outcomes(fr, by=request.user, **v)
        reported.review.request.refresh_from_db()
        settlement = reported.settlement
        return Response(
            {
                **ReviewSerializer(reported.review).data,
                "settlement": SettlementSerializer(settlement).data if settlement else None,
            }
        )


class ChairsActionSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="request.reference", read_only=True)
    proposed_by_name = serializers.SerializerMethodField()
    officer_name = serializers.SerializerMethodField()

    class Meta:
        model = ChairsActionProposal
        fields = [
            "id",
            "request",
            "reference",
            "proposed_by",
            "proposed_by_name",
            "officer",
            "officer_name",
            "outcome",
            "amount",
            "rationale",
            "conditions",
            "review_date",
            "status",
            "proposed_at",
            "answered_at",
            "refusal_reason",
            "decision",
        ]

    def get_proposed_by_name(self, obj) -> str:
        return obj.proposed_by.get_full_name() or obj.proposed_by.get_username()

    def get_officer_name(self, obj) -> str:
        return obj.officer.get_full_name() or obj.officer.get_username()


class ChairsActionInSerializer(serializers.Serializer):
    request = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    officer = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The LA SEND officer to confirm it."
    )
    outcome = serializers.ChoiceField(
        choices=[(o, Outcome(o).label) for o in CHAIRS_ACTION_OUTCOMES]
    )
    rationale = serializers.CharField()
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    review_date = serializers.DateField(required=False, allow_null=True, default=None)
    amount = ApiMoneyField(
        name="the amount approved", required=False, allow_null=True, default=None
    )


class RefusalInSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ChairsActionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Chair's action, taken by two people: the rota's chair proposes the decision on an
    urgent request naming an LA SEND officer, who confirms or refuses it themselves."""

    serializer_class = ChairsActionSerializer
    filterset_fields = ["status", "request"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChairsActionProposal.objects.none()
        return selectors.visible_proposals(self.request.user)

    @extend_schema(
        request=ChairsActionInSerializer,
        responses={201: ChairsActionSerializer, 400: REFUSED, 404: REFUSED},
    )
    def create(self, request, *args, **kwargs):
        """The rota's chair proposes (404 to anyone else): nothing is decided until the
        named officer confirms."""
        data = ChairsActionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        fr = selectors.urgent_request_for_chair(request.user, v.pop("request"))
        officer = get_user_model().objects.filter(pk=v.pop("officer")).first()
        proposal = services.propose_chairs_action(fr, by=request.user, officer=officer, **v)
        return Response(
            ChairsActionSerializer(self.get_queryset().get(pk=proposal.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=None,
        responses={200: DecisionSerializer, 400: REFUSED, 403: REFUSED, 404: REFUSED, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The named LA SEND officer confirms: the decision is taken in their name (the
        budget checked under lock: 409 when short). Anyone else is refused (403)."""
        decision = services.confirm_chairs_action(self.get_object(), by=request.user)
        return Response(DecisionSerializer(decision).data)

    @extend_schema(
        request=RefusalInSerializer,
        responses={
            200: ChairsActionSerializer,
            400: REFUSED,
            403: REFUSED,
            404: REFUSED,
            409: REFUSED,
        },
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        """The named LA SEND officer refuses, saying why: the chair is told; nothing is
        decided."""
        proposal = self.get_object()
        data = RefusalInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refuse_chairs_action(
            proposal, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(ChairsActionSerializer(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(
        request=RefusalInSerializer,
        responses={
            200: ChairsActionSerializer,
            400: REFUSED,
            403: REFUSED,
            404: REFUSED,
            409: REFUSED,
        },
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The chair who proposed withdraws it before the officer answers, saying why: the
        officer is told; nothing is decided (403 to anyone else)."""
        proposal = self.get_object()
        data = RefusalInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.withdraw_chairs_action(
            proposal, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(ChairsActionSerializer(self.get_queryset().get(pk=proposal.pk)).data)
