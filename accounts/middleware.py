"""Sign out a session left unused longer than its user's roles allow
(``accounts.sessions.idle_minutes``; docs/architecture.md §11)."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from portal.roles import scope_for

from .sessions import (
    IDLE_MESSAGE,
    LAST_SEEN,
    WRITE_EVERY_SECONDS,
    idle_minutes,
    in_words,
    start_clock,
)


class IdleTimeoutMiddleware:
    """After the session, authentication and messages middleware. The user's scope is
    the one the request's selectors use (computed once, cached on the user)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.check(request, user)
        return self.get_response(request)

    def check(self, request: HttpRequest, user) -> None:
        minutes = idle_minutes(scope_for(user))
        now = time.time()
        last_seen = request.session.get(LAST_SEEN)
        if last_seen is not None and now - last_seen > minutes * 60:
            logout(request)
            # The request goes on signed out: a page sends the user to sign in (where
            # this shows), the API refuses, a typed step keeps its text over sign-in.
            messages.info(request, IDLE_MESSAGE.format(time=in_words(minutes)))
            return
        # A GET from htmx is a page polling by itself (a live dashboard), not the user.
        polled = request.method == "GET" and getattr(request, "htmx", False)
        if polled and last_seen is not None:
            return
        if last_seen is None or now - last_seen >= WRITE_EVERY_SECONDS:
            # The stored session (and its cookie) ends with the time-out too.
            start_clock(request.session, user, now)
