"""/api/v1/requests/: the same scoping, validation and transitions as the pages."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from clusters.models import School
from portal.api_errors import REFUSED
from portal.api_views import SavedThroughService
from portal.audit import record_view
from portal.roles import scope_for

from . import policy, selectors, services, uploads
from .filters import RequestFilter
from .models import ProvisionLine, RequestDocument, ReviewCycle
from .serializers import (
    DocumentSerializer,
    DocumentUploadSerializer,
    EventSerializer,
    MessageSerializer,
    NeedBandSerializer,
    NoticeSerializer,
    RateSerializer,
    ReconsiderSerializer,
    RequestListSerializer,
    RequestSerializer,
    RequestTotalsSerializer,
    StreamSerializer,
)


def _transition_schema(name: str, description: str):
    return extend_schema(
        summary=description,
        request=MessageSerializer,
        responses={200: RequestSerializer, 400: REFUSED, 404: None},
        description=f"Applies the “{name}” transition of the request lifecycle. "
        "It changes nothing when refused.",
    )


@extend_schema_view(
    list=extend_schema(summary="Requests the user may see (finance officers: totals only)"),
    retrieve=extend_schema(summary="One request (404 outside the user's scope)"),
    create=extend_schema(summary="Start a draft request for one of the user's schools"),
    destroy=extend_schema(
        summary="Delete a draft (the school's own; any other state is refused)",
        description="The draft is kept for the audit, with who deleted it and when, and "
        "answers 404 from then on. A request already submitted is refused with 400 and a "
        "message: withdraw it instead.",
        responses={204: None, 400: REFUSED, 404: None},
    ),
    partial_update=extend_schema(
        summary="Save a draft or a returned request",
        description="Send the `version` you read: if the request was saved since, the "
        "change is refused with 409 (the answer gives the `saved_version` and what "
        "differs in `changes`) and nothing, not one provision line, is saved.",
        responses={200: RequestSerializer, 400: REFUSED, 404: None, 409: REFUSED},
    ),
)
class RequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    filterset_class = RequestFilter
    ordering_fields = ["submitted_at", "created_at", "amount_requested", "reference"]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def initialize_request(self, request, *args, **kwargs):
        drf_request = super().initialize_request(request, *args, **kwargs)
        if self.action in ("documents", "reconsider") and request.method == "POST":
            # Before authentication, whose CSRF check reads the body (see funding.uploads).
            uploads.limit_document_size(request)
        return drf_request

    def get_queryset(self):
        # Each request's changes of state, for its decision clock (one query a page).
        qs = selectors.with_clock_moves(selectors.visible_requests(self.request.user))
        if selectors.shows_pupil_detail(self.request.user):
            qs = qs.prefetch_related(
                Prefetch("cycles", queryset=ReviewCycle.objects.order_by("order")),
                Prefetch("provision_lines", queryset=ProvisionLine.objects.order_by("order")),
            ).select_related("band")
        return qs

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return RequestListSerializer if self.action == "list" else RequestSerializer
        if not selectors.shows_pupil_detail(self.request.user):
            return RequestTotalsSerializer
        return RequestListSerializer if self.action == "list" else RequestSerializer

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        record_view(request, instance, action="api_view")
        return Response(self.get_serializer(instance).data)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if selectors.shows_pupil_detail(request.user):
            ids = [row["id"] for row in response.data.get("results", [])]
            if ids:
                record_view(
                    request,
                    action="api_list",
                    object_type="funding.FundingRequest",
                    object_ids=ids,
                )
        return response

    def _fresh(self, pk):
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _answer(self, pk, status_code=status.HTTP_200_OK):
        serializer_class = self.get_serializer_class()
        data = serializer_class(self._fresh(pk), context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = RequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        scope = scope_for(request.user)
        school = data.pop("school", None)
        if school is None:
            if len(scope.school_ids) != 1:
                raise serializers.ValidationError({"school": "Choose one of your schools."})
            school = School.objects.get(pk=next(iter(scope.school_ids)))
        stream = data.pop("stream")
        cycles = data.pop("cycles", None)
        lines = data.pop("provision_lines", None)
        data.pop("version", None)  # a new draft starts at version 1
        fr = services.create_request(
            user=request.user,
            school=school,
            stream=stream,
            request_type=data.pop("request_type", "individual"),
            fields=data,
            cycles=cycles,
            provision_lines=lines,
        )
        return self._answer(fr.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise MethodNotAllowed(request.method)
        fr = self.get_object()
        serializer = RequestSerializer(
            fr, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("stream", None)
        data.pop("school", None)
        cycles = data.pop("cycles", None)
        lines = data.pop("provision_lines", None)
        version = data.pop("version", None)
        services.save_request(
            fr,
            user=request.user,
            fields=data,
            cycles=cycles,
            provision_lines=lines,
            version=version,
        )
        return self._answer(fr.pk)

    def destroy(self, request, *args, **kwargs):
        services.delete_draft(self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _transition(self, request, pk, name):
        fr = self.get_object()
        serializer = MessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.run_transition(
            fr, name, user=request.user, message=serializer.validated_data["message"]
        )
        return self._answer(fr.pk)

    @_transition_schema("submit", "Submit a draft to the LA")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(request, pk, "submit")

    @_transition_schema("withdraw", "Withdraw the request (message required)")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(request, pk, "withdraw")

    @_transition_schema("return", "LA: return for more information (message required)")
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_for_information(self, request, pk=None):
        return self._transition(request, pk, "return")

    @_transition_schema("resubmit", "Resubmit a returned request (message required)")
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        return self._transition(request, pk, "resubmit")

    @_transition_schema("triage", "LA: mark ready for panel")
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        return self._transition(request, pk, "triage")

    @extend_schema(
        summary="Ask, once, for a declined request to be reconsidered with new evidence",
        description="The new evidence is the message and, optionally, a document "
        "(multipart). The request goes back to the LA as submitted, under its reference. "
        "A second request for reconsideration is refused. It changes nothing when refused.",
        request={
            "multipart/form-data": ReconsiderSerializer,
            "application/json": ReconsiderSerializer,
        },
        responses={200: RequestSerializer, 400: REFUSED, 404: None},
    )
    @action(detail=True, methods=["post"])
    def reconsider(self, request, pk=None):
        fr = self.get_object()
        data = request.data
        if uploads.refused_for_size(request._request):
            return Response(
                {"detail": uploads.too_big_message()}, status=status.HTTP_400_BAD_REQUEST
            )
        serializer = ReconsiderSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        services.reconsider_request(
            fr,
            user=request.user,
            message=serializer.validated_data["message"],
            upload=serializer.validated_data.get("file"),
            kind=serializer.validated_data["kind"],
        )
        return self._answer(fr.pk)

    @extend_schema(summary="The request's timeline", responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request, pk=None):
        fr = self.get_object()
        record_view(request, fr, action="api_timeline")
        events = selectors.request_timeline(request.user, fr)
        return Response(EventSerializer(events, many=True).data)

    @extend_schema(
        methods=["GET"], summary="Supporting documents", responses=DocumentSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload a supporting document (PDF, DOCX, XLSX, PNG, JPEG)",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def documents(self, request, pk=None):
        fr = self.get_object()
        if not selectors.shows_pupil_detail(request.user):
            raise NotFound()  # finance officers see totals, never documents
        if request.method == "GET":
            docs = RequestDocument.objects.filter(request=fr)
            return Response(DocumentSerializer(docs, many=True).data)
        data = request.data
        if uploads.refused_for_size(request._request):
            return Response(
                {"detail": uploads.too_big_message()}, status=status.HTTP_400_BAD_REQUEST
            )
        upload = DocumentUploadSerializer(data=data)
        upload.is_valid(raise_exception=True)
        document = services.upload_document(
            fr,
            user=request.user,
            upload=upload.validated_data["file"],
            kind=upload.validated_data["kind"],
            version=upload.validated_data.get("version"),
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Funding streams"), retrieve=extend_schema(summary="One stream")
)
class StreamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StreamSerializer
    filterset_fields = ["is_open"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.streams()


@extend_schema_view(
    list=extend_schema(summary="The LA's rate card: standard hourly rates by financial year"),
    retrieve=extend_schema(summary="One rate"),
    create=extend_schema(
        summary="LA officers: add a rate",
        responses={201: RateSerializer, 400: REFUSED, 403: None},
    ),
    partial_update=extend_schema(
        summary="LA officers: change a rate (lines already costed keep theirs)",
        responses={200: RateSerializer, 400: REFUSED, 403: None, 404: None},
    ),
)
class RateCardViewSet(
    SavedThroughService,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Every signed-in user reads the card (schools cost their staffing from it); LA
    officers change it, through the same service as the page."""

    serializer_class = RateSerializer
    filterset_fields = ["year"]
    ordering = ["-year", "role"]

    def get_queryset(self):
        return selectors.rates()

    def _save(self, request, entry=None, status_code=status.HTTP_200_OK):
        if not policy.can_manage_rate_card(request.user):
            raise PermissionDenied("Only LA officers change the rate card.")
        serializer = RateSerializer(entry, data=request.data, partial=entry is not None)
        serializer.is_valid(raise_exception=True)
        data = {
            "role": entry.role if entry else None,
            "year": entry.year if entry else None,
            "hourly_rate": entry.hourly_rate if entry else None,
            **serializer.validated_data,
        }
        saved = services.save_rate(user=request.user, entry=entry, **data)
        return Response(RateSerializer(saved).data, status=status_code)


@extend_schema_view(
    list=extend_schema(summary="Need bands: the banded descriptors of need and usual awards"),
    retrieve=extend_schema(summary="One need band"),
    create=extend_schema(
        summary="LA SEND officers: add a need band",
        responses={201: NeedBandSerializer, 400: REFUSED, 403: None},
    ),
    partial_update=extend_schema(
        summary="LA SEND officers: change a need band (a band in use keeps its need and level)",
        responses={200: NeedBandSerializer, 400: REFUSED, 403: None, 404: None},
    ),
)
class NeedBandViewSet(
    SavedThroughService,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Every signed-in user reads the bands (schools place pupils in them); the LA SEND
    officer changes them, through the same service as the page."""

    serializer_class = NeedBandSerializer
    filterset_fields = ["need"]

    def get_queryset(self):
        return selectors.need_bands()

    def _save(self, request, band=None, status_code=status.HTTP_200_OK):
        if not policy.can_manage_need_bands(request.user):
            raise PermissionDenied("Only LA SEND officers change the need bands.")
        serializer = NeedBandSerializer(band, data=request.data, partial=band is not None)
        serializer.is_valid(raise_exception=True)
        fields = ("need", "band", "descriptor", "usual_award_min", "usual_award_max")
        data = {f: getattr(band, f, None) for f in fields} | dict(serializer.validated_data)
        saved = services.save_need_band(user=request.user, need_band=band, **data)
        return Response(NeedBandSerializer(selectors.need_band(saved.pk)).data, status=status_code)


@extend_schema_view(
    list=extend_schema(
        summary="Intention to request notices: LA SEND officers every school's, staff their own"
    ),
    retrieve=extend_schema(summary="One notice (404 outside the user's scope)"),
    create=extend_schema(
        summary="Tell the LA a request is coming for a pupil (SENCOs and headteachers)",
        responses={201: NoticeSerializer, 400: REFUSED, 403: None},
    ),
)
class NoticeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The same notices, scoping and rules as the pages (``/requests/notices/``)."""

    serializer_class = NoticeSerializer
    filterset_fields = ["cluster", "stream", "expected_month"]
    ordering = ["expected_month", "cluster", "pk"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.visible_notices(self.request.user)

    def create(self, request, *args, **kwargs):
        if not policy.can_give_notice(request.user):
            raise PermissionDenied("Only a school's SENCO or headteacher gives notice.")
        serializer = NoticeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        school = data.pop("school", None)
        if school is None:
            scope = scope_for(request.user)
            if len(scope.school_ids) != 1:
                raise serializers.ValidationError({"school": "Choose one of your schools."})
            school = School.objects.get(pk=next(iter(scope.school_ids)))
        notice = services.give_notice(user=request.user, school=school, **data)
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Turn the notice into the school's draft request (pre-filled, once)",
        request=None,
        responses={201: RequestSerializer, 400: REFUSED, 404: None, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        notice = self.get_object()
        if notice.school_id not in scope_for(request.user).school_ids:
            raise NotFound()
        fr = services.start_request_from_notice(notice, user=request.user)
        fresh = selectors.with_clock_moves(selectors.visible_requests(request.user)).get(pk=fr.pk)
        data = RequestSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)
