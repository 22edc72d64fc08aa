"""The two pages a user who owes a code sees: set up an app (once), then enter codes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from . import is_verified, selectors, services, two_factor_pending
from .forms import CodeForm, RecoveryCodeForm

CODES_TO_SHOW = "two_factor_recovery_codes"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("dashboard")


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    device = selectors.confirmed_device(request.user)
    if device is None:
        return redirect(_with_next("two_factor:set_up", next_url))
    if is_verified(request.user):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.check_code(request, device, form.cleaned_data["code"])
        if result.verified:
            return redirect(next_url)
        form.add_error("code", result.error)
    return render(
        request,
        "portal/two_factor_verify.html",
        {
            "form": form,
            "next": next_url,
            "two_factor_pending": two_factor_pending(request.user, request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def set_up(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    # Once set up, only an administrator can reset the device (by deleting it).
    if selectors.confirmed_device(request.user) is not None:
        return redirect(_with_next("two_factor:verify", next_url))
    device = services.start_enrolment(request.user)
    device.user = request.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.check_code(request, device, form.cleaned_data["code"])
        if result.verified:
            messages.success(
                request,
                "Two-factor sign-in is set up. Each time you sign in, enter the code from your app.",
            )
            # Shown once, on the next page; only a new set replaces them.
            request.session[CODES_TO_SHOW] = services.new_recovery_codes(request.user)
            return redirect(_with_next("two_factor:recovery_codes", next_url))
        form.add_error("code", result.error)
    return render(
        request,
        "portal/two_factor_set_up.html",
        {
            "form": form,
            "next": next_url,
            "two_factor_pending": two_factor_pending(request.user, request),
            **selectors.enrolment_details(device),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New codes are shown once, right after they are made; after that the page says
    how many are left and makes a new set (the old set stops working)."""
    next_url = _next_url(request)
    if selectors.confirmed_device(request.user) is None:
        return redirect(_with_next("two_factor:set_up", next_url))
    if not is_verified(request.user):
        # Only a session that entered a code may see or replace codes.
        return redirect(_with_next("two_factor:verify", request.get_full_path()))
    if request.method == "POST":
        request.session[CODES_TO_SHOW] = services.new_recovery_codes(request.user)
        return redirect(_with_next("two_factor:recovery_codes", next_url))
    codes = request.session.pop(CODES_TO_SHOW, None)
    return render(
        request,
        "portal/two_factor_recovery_codes.html",
        {
            "codes": codes,
            "left": services.recovery_codes_left(request.user),
            "next": next_url,
            "two_factor_pending": two_factor_pending(request.user, request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def recover(request: HttpRequest) -> HttpResponse:
    """Sign in with a recovery code instead of the app's code (each works once)."""
    next_url = _next_url(request)
    if is_verified(request.user):
        return redirect(next_url)
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.use_recovery_code(request, form.cleaned_data["code"])
        if result.verified:
            left = services.recovery_codes_left(request.user)
            messages.success(
                request,
                f"You have signed in with a recovery code. You have {left} left: "
                "make a new set if you are running out.",
            )
            return redirect(next_url)
        form.add_error("code", result.error)
    return render(
        request,
        "portal/two_factor_recover.html",
        {
            "form": form,
            "next": next_url,
            "two_factor_pending": two_factor_pending(request.user, request),
        },
        status=400 if form.errors else 200,
    )
