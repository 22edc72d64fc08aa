import asyncio
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.http import require_GET
from health_check.views import HealthCheckView

from . import health, policy, selectors
from . import search as finder
from .audit import record_view
from .dashboards import sections_for
from .models import Notification
from .roles import scope_for

ROLE_INTROS = {
    "senco": "Start or continue a funding request for a pupil, and answer anything the LA has returned to you.",
    "headteacher": "See your school's requests, your cluster's budget, and the panel meetings you sit on or chair.",
    "panel_member": "Read the agenda for your next panel meeting and record your moderation views.",
    "la_send_officer": "Triage new requests, schedule ready ones onto panel agendas, and watch cluster budgets.",
    "la_finance_officer": "Allocate cluster budgets, watch commitments against them, and export payments.",
    "dpo": "Search the record of who opened which request, document or export, and when, and export it.",
    "admin": "Set up users, memberships and settings in the admin.",
}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    role = scope.primary_role
    return render(
        request,
        "portal/dashboard.html",
        {
            "role": role,
            "intro": ROLE_INTROS.get(role or "", "You have no role yet: ask your LA to add you."),
            "sections": sections_for(request, scope),
        },
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(user=request.user).order_by("-created_at")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    response = render(request, "portal/notifications.html", {"page": page})
    # Opening the list marks what was shown as read.
    Notification.objects.filter(pk__in=[n.pk for n in page], read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return response


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The header's search: requests by reference, pupil initials, school name or URN."""
    results = finder.search(request.user, request.GET.get("q"))
    if results.requests and scope_for(request.user).sees_pupil_detail:
        # The results show pupils' initials: a read of pupil data.
        record_view(
            request,
            action="search",
            object_type="funding.FundingRequest",
            object_ids=[fr.pk for fr in results.requests],
            detail=f"Search {results.query}",
        )
    return render(
        request,
        "portal/search.html",
        {
            "results": results,
            "limit": finder.LIMIT,
            "pupil_detail": scope_for(request.user).sees_pupil_detail,
        },
    )


class SignOut(auth_views.LogoutView):
    """Signing out says so on the sign-in page it lands on."""

    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.success(request, "You have signed out.")
        return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer; portal.health.HealthzMiddleware answers it first, with
    the same answer (this view is the route's name in the URLconf)."""
    return health.healthz_response()


class Readiness(HealthCheckView):
    """For operators (administrators: staff or superusers): is each thing the portal
    needs answering? 200 when all are, 503 naming the failing ones. HTML, or JSON with
    ``?format=json`` or ``Accept: application/json``. Everyone else: 404."""

    template_name = "portal/readiness.html"

    def get_checks(self):
        return health.readiness_checks()

    async def dispatch(self, request, *args, **kwargs):
        user = await request.auser()
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not policy.can_see_readiness(user):
            raise Http404
        return await super().dispatch(request, *args, **kwargs)

    async def get(self, request, *args, **kwargs):
        self.results = await asyncio.gather(*(c.get_result() for c in self.get_checks()))
        failing = [r for r in self.results if r.error]
        status = 503 if failing else 200
        accept = request.headers.get("accept", "")
        if request.GET.get("format") == "json" or accept.startswith("application/json"):
            return JsonResponse(
                {
                    "status": "failing" if failing else "ok",
                    "checks": {
                        r.check.key: {
                            "name": r.check.title,
                            "ok": r.error is None,
                            "message": r.error.message if r.error else "OK",
                            "seconds": round(r.time_taken, 3),
                        }
                        for r in self.results
                    },
                },
                status=status,
            )
        return TemplateResponse(
            request,
            self.template_name,
            {"results": self.results, "failing": failing},
            status=status,
        )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for everything outside the user's scope as for what does not exist: the API
    answers in JSON, the pages in the service's own look."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return _page(render(request, "404.html", status=404))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A write without its CSRF token: the API answers in JSON as DRF does (a session's
    write to any /api/ address, one that does not exist included); pages as Django does."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "CSRF Failed: the form's security token is missing."},
                            status=403)  # fmt: skip
    return django_csrf_failure(request, reason=reason)


def _page(response: HttpResponse) -> HttpResponse:
    # Marks the portal's own error pages (portal/error_pages.py leaves them alone).
    response.portal_page = True
    return response


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: signed in, but this is not the user's to do (an LA officer's page, say)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    reason = str(exception) if exception and str(exception) else ""
    return _page(render(request, "403.html", {"reason": reason}, status=403))


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Sorry, there is a problem with the service."}, status=500)
    return _page(render(request, "500.html", status=500))


def locked_out(
    request: HttpRequest, credentials: dict | None = None, *args, **kwargs
) -> HttpResponse:
    """django-axes: too many failed sign-ins for this username from this address."""
    return render(request, "portal/locked_out.html", status=429)


# --- The view audit, for the data-protection officer (docs/architecture.md §11) -------

AUDIT_PAGE_SIZE = 50


def _dpo_only(request: HttpRequest) -> None:
    # Not even that the page exists: 404, as for anything out of scope.
    if not policy.can_read_view_audit(request.user):
        raise Http404


@login_required
@require_GET
def view_audit(request: HttpRequest) -> HttpResponse:
    _dpo_only(request)
    filters = selectors.AuditFilters.from_params(request.GET)
    page = Paginator(selectors.view_audit(request.user, filters), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/audit.html",
        {
            "page": page,
            "rows": selectors.audit_rows(list(page.object_list)),
            "filters": filters,
            "actions": selectors.ACTIONS,
            "date_fields": [
                ("from", "From (date)", request.GET.get("from", "")[:10]),
                ("to", "To (date)", request.GET.get("to", "")[:10]),
            ],
            "querystring": urlencode(filters.as_params()),
        },
        status=400 if filters.problems else 200,
    )


@login_required
@require_GET
def view_audit_export(request: HttpRequest) -> HttpResponse:
    _dpo_only(request)
    filters = selectors.AuditFilters.from_params(request.GET)
    if filters.problems:
        return view_audit(request)
    # The export is itself a read of who read pupil data: it is audited too.
    record_view(
        request,
        action="export",
        object_type="portal.ViewAudit",
        detail=f"CSV export {filters.described()}",
    )
    response = StreamingHttpResponse(
        selectors.export_lines(selectors.view_audit(request.user, filters)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="view-audit-{stamp}.csv"'
    return response
