"""API shapes. Finance officers get :class:`RequestTotalsSerializer`: totals, no pupil."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clusters.models import School
from portal import pupil_key
from portal.fields import ApiMoneyField

from . import rules, selectors
from .models import (
    CostKind,
    FundingRequest,
    FundingStream,
    IntentionNotice,
    NeedBand,
    ProvisionLine,
    RateCardEntry,
    RequestDocument,
    RequestEvent,
    ReviewCycle,
)


class StreamSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingStream
        fields = ["id", "code", "name", "max_award", "max_duration_weeks", "eligible_phases",
                  "is_open"]  # fmt: skip


class CycleSerializer(serializers.ModelSerializer):
    duration_weeks = serializers.IntegerField(min_value=1, max_value=104)

    class Meta:
        model = ReviewCycle
        fields = ["assess", "plan", "duration_weeks", "impact"]


class ProvisionLineSerializer(serializers.ModelSerializer):
    """A staffing line (hours a week, weeks, hourly rate: the rate card's by default) or
    another cost (equipment, training, service, capital) with its amount."""

    kind = serializers.ChoiceField(choices=CostKind.choices, default=CostKind.STAFFING)
    hours_per_week = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    weeks = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    hourly_rate = ApiMoneyField(
        name="the hourly rate", example="15.50", max_value=rules.MAX_HOURLY_RATE, max_digits=8,
        required=False, allow_null=True,
        help_text="Staffing only; leave out to take the rate card's rate for rate_card.",
    )  # fmt: skip
    amount = ApiMoneyField(
        name="the amount", example="350.00", min_value=Decimal("0.01"),
        max_value=rules.MAX_LINE_AMOUNT, max_digits=10, required=False, allow_null=True,
        help_text="Any cost but staffing.",
    )  # fmt: skip
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    rate_card = serializers.PrimaryKeyRelatedField(
        queryset=RateCardEntry.objects.all(),
        required=False,
        allow_null=True,
        help_text="The role on the LA's rate card (for the year the provision starts).",
    )
    rate_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Why the rate is not the card's: needed when it differs, or the role is "
        "not on the card.",
    )
    card_rate = serializers.DecimalField(
        max_digits=8, decimal_places=2, read_only=True, allow_null=True,
        help_text="The rate card's rate for the role when the line was saved.",
    )  # fmt: skip
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = ProvisionLine
        fields = ["kind", "description", "hours_per_week", "weeks", "hourly_rate", "amount",
                  "note", "rate_card", "card_rate", "rate_reason", "cost"]  # fmt: skip

    def validate(self, attrs):
        # The line's shape, by field, as the form says it; the card itself (is the rate
        # the card's?) is the service's to check, knowing the request's year.
        problems = rules.line_problems(
            kind=attrs.get("kind", CostKind.STAFFING),
            hours_per_week=attrs.get("hours_per_week"),
            weeks=attrs.get("weeks"),
            hourly_rate=attrs.get("hourly_rate"),
            amount=attrs.get("amount"),
            rate_card=attrs.get("rate_card"),
            rate_reason=attrs.get("rate_reason", ""),
        )
        if problems:
            raise serializers.ValidationError({f: m + "." for f, m in problems.items()})
        return attrs


class NeedBandSerializer(serializers.ModelSerializer):
    """A banded descriptor of need and the usual range of awards at it."""

    need = serializers.ChoiceField(choices=NeedBand._meta.get_field("need").choices)
    need_label = serializers.CharField(source="get_need_display", read_only=True)
    band = serializers.IntegerField(min_value=0, max_value=9, help_text="0: no additional need.")
    usual_award_min = ApiMoneyField(
        name="the lowest usual award", example="2000.00", min_value=0, max_value=100000
    )
    usual_award_max = ApiMoneyField(
        name="the highest usual award", example="6000.00", min_value=0, max_value=100000
    )
    requests_using = serializers.IntegerField(
        read_only=True, help_text="Requests placed in this band (drafts included)."
    )

    class Meta:
        model = NeedBand
        fields = ["id", "need", "need_label", "band", "descriptor", "usual_award_min",
                  "usual_award_max", "requests_using"]  # fmt: skip
        # The service checks the pair (with a plain-English message), not DRF's validator.
        validators: list = []


class RateSerializer(serializers.ModelSerializer):
    """One standard hourly rate on the LA's rate card."""

    year = serializers.IntegerField(
        min_value=2000,
        max_value=2100,
        help_text="The financial year, by the year it starts (2026: April 2026 to March 2027).",
    )
    hourly_rate = ApiMoneyField(
        name="the hourly rate", example="15.50", min_value=Decimal("0.01"),
        max_value=rules.MAX_HOURLY_RATE, max_digits=8,
    )  # fmt: skip

    class Meta:
        model = RateCardEntry
        fields = ["id", "role", "year", "hourly_rate", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class DocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = RequestDocument
        fields = ["id", "kind", "original_name", "content_type", "size", "uploaded_at",
                  "download_url"]  # fmt: skip

    def get_download_url(self, obj) -> str:
        return reverse("funding:download", args=[obj.request_id, obj.pk])


class DocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RequestDocument._meta.get_field("kind").choices)
    file = serializers.FileField()
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The request's version the upload is based on (409 if it was saved "
        "meanwhile; nothing is stored).",
    )


class EventSerializer(serializers.ModelSerializer):
    # No actor when the portal itself moved the request (a scheduled job).
    actor = serializers.CharField(
        source="actor.username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = RequestEvent
        fields = ["kind", "from_state", "to_state", "message", "actor", "created_at"]


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, default="")


class ReconsiderSerializer(serializers.Serializer):
    """The school's one request for reconsideration: the new evidence, and a document if any."""

    message = serializers.CharField(help_text="The new evidence, and why to look again.")
    file = serializers.FileField(required=False, help_text="A new document (optional).")
    kind = serializers.ChoiceField(
        choices=RequestDocument._meta.get_field("kind").choices, default="assessment"
    )


class ClockSerializer(serializers.Serializer):
    """The decision clock, as the pages show it (``funding.selectors.decision_clock``)."""

    working_days_with_la = serializers.IntegerField(
        source="working_days",
        help_text="Working days with the LA from the first submission to the decision (or "
        "today), not counting the time returned to the school if the LA pauses the clock.",
    )
    working_days_since_first_submitted = serializers.IntegerField(
        source="since_submitted",
        help_text="Working days from the first submission to the decision (or today).",
    )
    target_working_days = serializers.IntegerField(source="target")
    paused = serializers.BooleanField(help_text="Returned to the school: the clock waits.")
    stopped = serializers.BooleanField(help_text="Decided or withdrawn: the figures are final.")
    overdue = serializers.BooleanField(help_text="More working days with the LA than the target.")


class ClockField(serializers.SerializerMethodField):
    def __init__(self, **kwargs):
        super().__init__(method_name="get_clock", **kwargs)


def _clock(obj) -> dict | None:
    age = selectors.request_age(obj)
    return ClockSerializer(age).data if age else None


TOTAL_FIELDS = [
    "id", "reference", "state", "request_type", "stream", "school", "school_name", "cluster",
    "cluster_name", "created_at", "submitted_at", "state_changed_at", "start_date", "end_date",
    "total_cost", "school_contribution", "amount_requested", "amount_awarded", "clock",
]  # fmt: skip


class RequestTotalsSerializer(serializers.ModelSerializer):
    """What a finance officer sees: money and where it goes, nothing about the pupil."""

    school_name = serializers.CharField(source="school.name", read_only=True)
    cluster_name = serializers.CharField(source="cluster.name", read_only=True)
    clock = ClockField()

    class Meta:
        model = FundingRequest
        fields = TOTAL_FIELDS
        read_only_fields = TOTAL_FIELDS

    @extend_schema_field(ClockSerializer(allow_null=True))
    def get_clock(self, obj) -> dict | None:
        return _clock(obj)


class OwnSchoolField(serializers.PrimaryKeyRelatedField):
    """One of the user's own schools (funding.selectors.own_schools): any other id, existing
    or not, gets the same "does not exist" answer."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return School.objects.none()
        return selectors.own_schools(request.user)


class RequestSerializer(serializers.ModelSerializer):
    """The whole request; totals are computed from the provision lines, never written."""

    school = OwnSchoolField(required=False)
    school_name = serializers.CharField(source="school.name", read_only=True)
    cluster_name = serializers.CharField(source="cluster.name", read_only=True)
    stream = serializers.PrimaryKeyRelatedField(queryset=FundingStream.objects.all())
    band = serializers.PrimaryKeyRelatedField(
        queryset=NeedBand.objects.all(), required=False, allow_null=True
    )
    cycles = CycleSerializer(many=True, required=False)
    provision_lines = ProvisionLineSerializer(many=True, required=False)
    # Written once, never answered: the portal keeps only the pupil key made from it.
    upn = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="The pupil's UPN (13 characters). Never returned; the portal keeps only "
        "a keyed hash of it to link the pupil's requests.",
    )
    has_upn = serializers.SerializerMethodField()
    clock = ClockField()
    missing = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The request's version: it goes up by one on every save. Send back the "
        "version you read with a change: if the request was saved meanwhile, the change is "
        "refused with 409 (the answer names what differs) and nothing is saved. Leave it "
        "out to save whatever the version.",
    )

    class Meta:
        model = FundingRequest
        fields = [
            *TOTAL_FIELDS, "pupil_initials", "upn", "has_upn", "year_group", "sex", "number_of_pupils",
            "primary_need", "secondary_need", "sen_support_since", "band",
            "ordinarily_available_provision", "outcomes_sought", "agencies_involved",
            "parent_voice", "pupil_voice", "project_summary", "parental_consent", "consent_date",
            "cycles", "provision_lines", "missing", "actions", "version",
        ]  # fmt: skip
        read_only_fields = [
            "id", "reference", "state", "cluster", "created_at", "submitted_at",
            "state_changed_at", "total_cost", "school_contribution", "amount_requested",
            "amount_awarded",
        ]  # fmt: skip

    @extend_schema_field(ClockSerializer(allow_null=True))
    def get_clock(self, obj) -> dict | None:
        return _clock(obj)

    @extend_schema_field(serializers.DictField(child=serializers.ListField()))
    def get_missing(self, obj) -> dict:
        return rules.missing_by_section(obj)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, obj) -> list[str]:
        from .services import APP_TRANSITIONS, available_transitions

        request = self.context.get("request")
        if request is None:
            return []
        # "delete" is DELETE on the request itself (a draft only).
        return [
            t.name
            for t in available_transitions(request.user, obj)
            if t.name in APP_TRANSITIONS or t.name == "delete"
        ]

    def get_has_upn(self, obj) -> bool:
        return bool(obj.pupil_key)

    def validate_upn(self, value: str) -> str:
        value = pupil_key.normalise(value)
        problem = pupil_key.upn_problem(value) if value else None
        if problem:
            raise serializers.ValidationError(problem + ".")
        return value

    def validate_pupil_initials(self, value: str) -> str:
        value = (value or "").strip().upper().replace(".", "")
        if value and not re.fullmatch(r"[A-Z]{1,3}", value):
            raise serializers.ValidationError("Enter initials as 1 to 3 letters, like AB.")
        return value

    def _not_future(self, value: date | None, message: str):
        if value and value > timezone.localdate():
            raise serializers.ValidationError(message)
        return value

    def validate_sen_support_since(self, value):
        return self._not_future(value, "The date must be today or in the past.")

    def validate_consent_date(self, value):
        return self._not_future(value, "The date of consent must be today or in the past.")

    def validate_number_of_pupils(self, value):
        if value < 1 or value > 500:
            raise serializers.ValidationError("Number of pupils must be between 1 and 500.")
        return value

    def validate(self, attrs):
        instance = self.instance

        def current(name):
            return attrs.get(name, getattr(instance, name, None) if instance else None)

        errors = {}
        primary, secondary, band = (
            current("primary_need"),
            current("secondary_need"),
            current("band"),
        )
        if primary and secondary and primary == secondary:
            errors["secondary_need"] = "The secondary need must differ from the primary need."
        if band and band.need != primary:
            errors["band"] = "Choose a band for the primary need."
        start, end = current("start_date"), current("end_date")
        if start and end and end < start:
            errors["end_date"] = "The end date must be on or after the start date."
        if current("consent_date") and not current("parental_consent"):
            errors["parental_consent"] = "Confirm consent, or remove the date."
        if instance and "stream" in attrs and attrs["stream"] != instance.stream:
            errors["stream"] = "The fund cannot change once a request is started."
        if instance and "school" in attrs and attrs["school"] != instance.school:
            errors["school"] = "The school cannot change once a request is started."
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RequestListSerializer(RequestSerializer):
    """A row of the list: the actions a user may take are worked out on the detail only
    (other apps' actor checks would cost a query per row)."""

    class Meta(RequestSerializer.Meta):
        fields = [f for f in RequestSerializer.Meta.fields if f != "actions"]


class NoticeSerializer(serializers.ModelSerializer):
    """An intention to request: a request is coming for this pupil."""

    school = OwnSchoolField(required=False)
    school_name = serializers.CharField(source="school.name", read_only=True)
    cluster_name = serializers.CharField(source="cluster.name", read_only=True)
    stream = serializers.PrimaryKeyRelatedField(queryset=FundingStream.objects.all())
    pupil_initials = serializers.CharField(max_length=10, help_text="1 to 3 letters, like AB.")
    expected_month = serializers.DateField(
        help_text="The month the school expects to submit: any day of it (kept as its first "
        "day), this month or later."
    )
    reports_awaited = serializers.CharField(
        max_length=1000, help_text="The professionals whose reports the request waits for."
    )
    request = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The draft the notice became (null until it is started)."
    )

    class Meta:
        model = IntentionNotice
        fields = ["id", "school", "school_name", "cluster", "cluster_name", "stream",
                  "pupil_initials", "year_group", "expected_month", "reports_awaited",
                  "request", "created_at"]  # fmt: skip
        read_only_fields = ["id", "cluster", "request", "created_at"]

    def validate_pupil_initials(self, value: str) -> str:
        value = (value or "").strip().upper().replace(".", "")
        if not re.fullmatch(r"[A-Z]{1,3}", value):
            raise serializers.ValidationError("Enter initials as 1 to 3 letters, like AB.")
        return value

    def validate_expected_month(self, value: date) -> date:
        if value.replace(day=1) < timezone.localdate().replace(day=1):
            raise serializers.ValidationError(
                "The month you expect to submit must be this month or later."
            )
        return value.replace(day=1)

    def validate_reports_awaited(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Enter whose reports you are waiting for.")
        return value.strip()
