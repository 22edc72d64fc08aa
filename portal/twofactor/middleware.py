"""Hold a signed-in user who owes a code at the two-factor pages until they verify one."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse

from . import two_factor_pending

# Reachable before the code: signing in and out, the health check and these pages.
OPEN_URL_NAMES = {"login", "logout", "healthz", "admin:logout"}
OPEN_NAMESPACE = "two_factor"
API_REFUSAL = (
    "Two-factor sign-in is required for your role: verify the code from your "
    "authenticator app in this session before using the API."
)


def is_open(request: HttpRequest) -> bool:
    path = request.path_info
    if path.startswith((f"/{settings.STATIC_URL.lstrip('/')}", "/assets/")):
        return True
    try:
        match = resolve(path, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return match.view_name in OPEN_URL_NAMES or match.namespace == OPEN_NAMESPACE


class TwoFactorMiddleware:
    """Must come after django-otp's OTPMiddleware (which tells whether the session is
    verified) and django-htmx's middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The cheap test first: nothing else is looked up when enforcement is off.
        if (
            settings.OTP_ENFORCED
            and not is_open(request)
            and two_factor_pending(request.user, request)
        ):
            return self.refuse(request)
        return self.get_response(request)

    def refuse(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": API_REFUSAL}, status=403)
        url = f"{reverse('two_factor:verify')}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            # A fragment request would swap the code page into the middle of a page.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
