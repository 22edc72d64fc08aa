"""/api/v1/ decision letters, the LA's letter templates and the follow-ups of decisions.

The same selectors (scope: 404 outside it) and services (rules) as the pages
(``panels/letter_views.py``).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from portal.api_errors import REFUSED
from portal.audit import record_view

from . import policy, selectors, services
from .letters import PLACEHOLDERS, REQUIRED, letter_download
from .models import DecisionAction, FollowUpKind, Letter, LetterTemplate, Outcome


class FollowUpSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=FollowUpKind.choices)
    reference = serializers.CharField(source="decision.request.reference", read_only=True)

    class Meta:
        model = DecisionAction
        fields = ["id", "decision", "reference", "kind", "detail", "owner", "due_by", "created_at"]
        read_only_fields = ["id", "decision", "reference", "created_at"]


class DecisionFollowUpSerializer(serializers.ModelSerializer):
    """A follow-up as part of its decision."""

    kind = serializers.ChoiceField(choices=FollowUpKind.choices)

    class Meta:
        model = DecisionAction
        fields = ["id", "kind", "detail", "owner", "due_by"]


class FollowUpInSerializer(serializers.Serializer):
    """Support beyond money: what it is, who follows it up and by when."""

    kind = serializers.ChoiceField(choices=FollowUpKind.choices)
    detail = serializers.CharField(help_text="The advice given, or what the referral is for.")
    owner = serializers.CharField(max_length=200, help_text="Who will follow it up.")
    due_by = serializers.DateField(help_text="When it will be followed up by (in the future).")

    def follow_up(self) -> services.FollowUp:
        return services.FollowUp(**self.validated_data)


class AddFollowUpSerializer(FollowUpInSerializer):
    decision = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class FollowUpFilter(filters.FilterSet):
    class Meta:
        model = DecisionAction
        fields = ["kind", "decision"]


class FollowUpViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The advice and referrals recorded with decisions, wherever the decision is seen; a
    decision's chair or an LA SEND officer adds one until the decision letter has gone."""

    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    ordering_fields = ["due_by"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DecisionAction.objects.none()
        return selectors.visible_follow_ups(self.request.user)

    @extend_schema(
        request=AddFollowUpSerializer,
        responses={201: FollowUpSerializer, 400: REFUSED, 404: REFUSED},
    )
    def create(self, request, *args, **kwargs):
        data = AddFollowUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        decision = selectors.get_decision(request.user, v.pop("decision"))
        action_ = services.add_follow_up(
            decision, by=request.user, follow_up=services.FollowUp(**v)
        )
        return Response(FollowUpSerializer(action_).data, status=status.HTTP_201_CREATED)


class LetterSerializer(serializers.ModelSerializer):
    meeting = serializers.IntegerField(source="run.meeting_id", read_only=True)
    reference = serializers.CharField(source="item.request.reference", read_only=True)
    request = serializers.IntegerField(source="item.request_id", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)
    sent_at = serializers.DateTimeField(source="run.sent_at", read_only=True)
    page = serializers.SerializerMethodField(help_text="The letter's page in the portal.")
    pdf = serializers.SerializerMethodField(help_text="The letter as a PDF (the API's).")

    class Meta:
        model = Letter
        fields = [
            "id",
            "meeting",
            "item",
            "decision",
            "request",
            "reference",
            "school",
            "school_name",
            "outcome",
            "subject",
            "body",
            "sent_at",
            "page",
            "pdf",
        ]

    def get_page(self, letter: Letter) -> str:
        from django.urls import reverse

        return reverse("panels:letter", args=[letter.pk])

    def get_pdf(self, letter: Letter) -> str:
        from django.urls import reverse

        return reverse("letter-pdf", args=[letter.pk])


class LetterFilter(filters.FilterSet):
    meeting = filters.NumberFilter(field_name="run__meeting", help_text="A meeting's letters.")

    class Meta:
        model = Letter
        fields = ["meeting", "item", "outcome", "school"]


class LetterViewSet(viewsets.ReadOnlyModelViewSet):
    """Decision letters, as sent: the school's staff, the meeting's chair and LA SEND
    officers read them (404 to anyone else). Every read is audited (the pupil's initials)."""

    serializer_class = LetterSerializer
    filterset_class = LetterFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Letter.objects.none()
        return selectors.visible_letters(self.request.user)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        results = response.data.get("results", []) if isinstance(response.data, dict) else []
        if results:
            record_view(
                request,
                object_type="funding.FundingRequest",
                object_ids=[r["request"] for r in results],
                action="view_letter",
                detail="API letters",
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        letter = self.get_object()
        record_view(
            request, letter.item.request, action="view_letter", detail=f"API letter {letter.pk}"
        )
        return Response(LetterSerializer(letter).data)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The letter (PDF, pseudonymised)."
            ),
            404: REFUSED,
        }
    )
    @action(detail=True)
    def pdf(self, request, pk=None):
        """The letter as the PDF the school can share with parents."""
        letter = self.get_object()
        return letter_download(request, letter, detail=f"API letter {letter.pk} (PDF)")


class PlaceholderSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    required = serializers.BooleanField(help_text="This outcome's letter must use it.")


class LetterTemplateSerializer(serializers.ModelSerializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices, read_only=True)
    placeholders = serializers.SerializerMethodField()

    class Meta:
        model = LetterTemplate
        fields = ["outcome", "subject", "body", "updated_at", "placeholders"]
        read_only_fields = ["outcome", "updated_at", "placeholders"]

    @extend_schema_field(PlaceholderSerializer(many=True))
    def get_placeholders(self, template: LetterTemplate) -> list[dict]:
        required = REQUIRED.get(template.outcome, ())
        return [
            {"name": n, "description": d, "required": n in required}
            for n, d in PLACEHOLDERS.items()
        ]


class LetterTemplateInSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField()


# The path names an outcome: the schema lists them, so a client (and the fuzz) asks for one.
OUTCOME_PATH = OpenApiParameter(
    "outcome", str, OpenApiParameter.PATH, enum=list(Outcome.values), description="The outcome."
)


class LetterTemplateViewSet(viewsets.GenericViewSet):
    """The LA's letter per outcome, for LA SEND officers (404 to anyone else). Text with
    ``{placeholder}`` names from the list only; anything else in braces is refused."""

    serializer_class = LetterTemplateSerializer
    queryset = LetterTemplate.objects.none()  # read through the selectors
    lookup_field = "outcome"
    # Any segment reaches the view, so an unknown outcome is the API's JSON 404.
    lookup_value_regex = "[^/]+"
    pagination_class = None

    def _officer(self) -> None:
        if not policy.can_edit_letter_templates(self.request.user):
            raise NotFound("Not found.")

    @extend_schema(responses={200: LetterTemplateSerializer(many=True), 404: REFUSED})
    def list(self, request):
        self._officer()
        return Response(LetterTemplateSerializer(selectors.letter_templates(), many=True).data)

    @extend_schema(
        parameters=[OUTCOME_PATH], responses={200: LetterTemplateSerializer, 404: REFUSED}
    )
    def retrieve(self, request, outcome=None):
        self._officer()
        return Response(LetterTemplateSerializer(selectors.letter_template(outcome)).data)

    @extend_schema(
        parameters=[OUTCOME_PATH],
        request=LetterTemplateInSerializer,
        responses={200: LetterTemplateSerializer, 400: REFUSED, 404: REFUSED},
    )
    def update(self, request, outcome=None):
        """Reword the letter: refused (400, by field) for a placeholder not in the list or
        one the outcome's letter must carry left out."""
        self._officer()
        selectors.letter_template(outcome)  # 404 for an outcome that has no letter
        data = LetterTemplateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            saved = services.save_letter_template(outcome, by=request.user, **data.validated_data)
        except services.LetterTemplateError as exc:
            raise serializers.ValidationError(exc.problems) from exc
        return Response(LetterTemplateSerializer(saved).data)


def with_follow_ups(decisions):
    """Decisions with their follow-ups in one more query, whatever their number."""
    return decisions.prefetch_related(
        Prefetch("actions", queryset=DecisionAction.objects.order_by("kind", "pk"))
    )
