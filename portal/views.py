from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .dashboards import sections_for
from .models import Notification
from .roles import scope_for

ROLE_INTROS = {
    "senco": "Start or continue a funding request for a pupil, and answer anything the LA has returned to you.",
    "headteacher": "See your school's requests, your cluster's budget, and the panel meetings you sit on or chair.",
    "panel_member": "Read the agenda for your next panel meeting and record your moderation views.",
    "la_send_officer": "Triage new requests, schedule ready ones onto panel agendas, and watch cluster budgets.",
    "la_finance_officer": "Allocate cluster budgets, watch commitments against them, and export payments.",
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


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for everything outside the user's scope as for what does not exist: the API
    answers in JSON, the pages in the service's own look."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Sorry, there is a problem with the service."}, status=500)
    return render(request, "500.html", status=500)


def locked_out(
    request: HttpRequest, credentials: dict | None = None, *args, **kwargs
) -> HttpResponse:
    """django-axes: too many failed sign-ins for this username from this address."""
    return render(request, "portal/locked_out.html", status=429)
