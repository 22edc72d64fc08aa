"""A session time-out never loses typed text.

A SENCO writes the pupil's needs for half an hour; her session expires; she presses
"Save". Without this the sign-in page would take the POST and drop it. Instead, a POST to
a request step that arrives signed out is kept here, server side, under a one-time
token (never in the URL, the cookie or the page: only the token travels), and she is sent
to sign in with ``?restore=<token>`` on the step's own address. After signing in the step
reads it back once (:func:`take`) and shows what she typed, not yet saved, with a message
to check it and save it; the version it was typed on comes back too, so a save over
someone else's change meanwhile is still refused (``portal/versions.py``).

What is kept: the posted text fields only, never the UPN (it is hashed as it is read and
never stored anywhere), the CSRF token or a file. Kept in the cache (Redis) for
:data:`KEEP_FOR` seconds, for the address it was posted to only, and deleted when read.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, QueryDict

KEEP_FOR = 2 * 60 * 60  # long enough to find the password; gone after that
PARAMETER = "restore"
# Never kept: the UPN (see funding.forms.PupilForm.upn), the form's own token.
NEVER_KEPT = frozenset({"upn", "csrfmiddlewaretoken"})
_PREFIX = "typed-text:"


def keep(request: HttpRequest) -> str:
    """Keep the text of this POST under a new one-time token, for its address."""
    token = secrets.token_urlsafe(24)
    fields = [(k, v) for k in request.POST for v in request.POST.getlist(k) if k not in NEVER_KEPT]
    cache.set(_PREFIX + token, {"path": request.path, "fields": fields}, KEEP_FOR)
    return token


def take(request: HttpRequest) -> QueryDict | None:
    """What was typed before signing in again, for this address, once (then it is gone)."""
    token = request.GET.get(PARAMETER, "")
    if not token or len(token) > 64:
        return None
    kept: dict[str, Any] | None = cache.get(_PREFIX + token)
    if kept is None or kept.get("path") != request.path:
        return None
    cache.delete(_PREFIX + token)
    data = QueryDict(mutable=True)
    for name, value in kept["fields"]:
        if name not in NEVER_KEPT:
            data.appendlist(name, value)
    return data


def kept_over_sign_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Outside ``login_required``: a signed-out POST keeps its text and asks to sign in,
    coming back to the same step with ``?restore=<token>``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and not request.user.is_authenticated:
            token = keep(request)
            return redirect_to_login(f"{request.path}?{PARAMETER}={token}")
        return view(request, *args, **kwargs)

    return wrapper
