"""Invitations under /api/v1/invitations/: list, invite, bulk (preview or apply), revoke.
The same services and scoping as the pages; refusals through portal/api_errors.py."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from clusters.models import Role
from portal.api_errors import REFUSED
from portal.errors import DomainError

from . import policy, selectors, services
from .serializers import (
    BulkAnswerSerializer,
    BulkSerializer,
    EndMembershipSerializer,
    InvitationSerializer,
    InviteSerializer,
    MembershipSerializer,
)


def _officer_only(request) -> None:
    if not policy.can_invite(request.user):
        raise PermissionDenied(services.NOT_ALLOWED)


def _answer(plan, *, applied: bool) -> dict:
    problems = len(plan.problems)
    return {
        **(
            {
                "detail": f"The file has {problems} problem{'s' if problems != 1 else ''}: no one was invited"
            }
            if problems
            else {}
        ),
        "applied": applied,
        "new": len(plan.new),
        "unchanged": len(plan.unchanged),
        "rows": [
            {
                "line": r.line,
                "email": r.email,
                "first_name": r.first_name,
                "last_name": r.last_name,
                "role": r.role,
                "place": r.place,
                "outcome": r.outcome,
                "reason": r.reason,
            }
            for r in plan.rows
        ],
        "problems": [asdict(p) for p in plan.problems],
    }


@extend_schema_view(
    list=extend_schema(summary="LA SEND officer: the county's invitations"),
    retrieve=extend_schema(summary="LA SEND officer: one invitation"),
)
class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InvitationSerializer
    filterset_fields = ["role"]
    ordering_fields = ["created", "email"]

    def get_queryset(self):
        return selectors.visible_invitations(self.request.user).order_by("-created", "-pk")

    def list(self, request, *args, **kwargs):
        _officer_only(request)
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Invite one person to a role (emailed a link that works once)",
        request=InviteSerializer,
        responses={201: InvitationSerializer, 400: REFUSED, 403: REFUSED, 409: REFUSED},
    )
    def create(self, request):
        _officer_only(request)
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invite(by=request.user, **serializer.validated_data)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Invite many from a CSV: a preview (apply false) or all of them (apply true)",
        description="All or nothing: any problem (named by line and column) invites no one. "
        "People with an account or an invitation to the same role waiting are unchanged, "
        "so the same file may be sent again.",
        request=BulkSerializer,
        responses={200: BulkAnswerSerializer, 400: BulkAnswerSerializer, 403: REFUSED},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        _officer_only(request)
        serializer = BulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text, apply = serializer.validated_data["csv"], serializer.validated_data["apply"]
        if not apply:
            plan = services.plan_csv(text, by=request.user)
            code = 400 if plan.problems else 200
            return Response(_answer(plan, applied=False), status=code)
        try:
            plan = services.apply_csv(text, by=request.user)
        except services.CsvRefused as exc:
            return Response(_answer(exc.plan, applied=False), status=400)
        return Response(_answer(plan, applied=True))

    @extend_schema(
        summary="Withdraw a pending invitation (its link stops working)",
        request=None,
        responses={200: InvitationSerializer, 403: REFUSED, 404: None, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        _officer_only(request)
        invitation = services.revoke(by=request.user, invitation=self.get_object())
        return Response(InvitationSerializer(invitation).data)


PEOPLE_FILTERS = [
    OpenApiParameter("q", str, description="Words of the person's name, email or username"),
    OpenApiParameter("school", str, description="A school's URN, or part of its name"),
    OpenApiParameter("cluster", int, description="A cluster's id (its schools' staff too)"),
    OpenApiParameter("role", str, enum=[value for value, _ in Role.choices]),
]


def _people_only(request) -> None:
    # As the pages: for anyone but the LA SEND officer the memberships are not there.
    if not policy.can_manage_people(request.user):
        raise NotFound()


@extend_schema_view(
    list=extend_schema(
        summary="LA SEND officer: everyone's memberships (current and ended), filtered",
        parameters=PEOPLE_FILTERS,
        responses={200: MembershipSerializer(many=True), 404: None},
    ),
)
class MembershipViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = MembershipSerializer
    filter_backends: list = []  # the people page's filters (PeopleFilters), not django-filter

    def get_queryset(self):
        filters = selectors.PeopleFilters.from_params(self.request.query_params)
        return selectors.memberships(self.request.user, filters)

    def list(self, request, *args, **kwargs):
        _people_only(request)
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="LA SEND officer: end a leaver's membership from a date",
        description="From ``ends_on`` the membership gives no access. A SENCO's drafts at the "
        "school go to ``hand_to`` (required when there are drafts: another SENCO there); "
        "their panel seats for it end the day before. Both people are told.",
        request=EndMembershipSerializer,
        responses={200: MembershipSerializer, 400: REFUSED, 404: None, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        _people_only(request)
        membership = selectors.membership(request.user, pk)
        data = EndMembershipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            ended = services.end_membership(
                request.user,
                membership,
                data.validated_data["ends_on"],
                data.validated_data.get("hand_to"),
                confirm_chair_changes=data.validated_data["confirm_chair_changes"],
            )
        except DomainError as exc:
            if exc.field and exc.status == 400:
                # A field's refusal answers as invalid input does: {"field": ["message"]}.
                raise ValidationError({exc.field: [exc.message]}) from None
            raise
        return Response(MembershipSerializer(ended).data)
