"""The session engine (``SESSION_ENGINE = "accounts.sessions"``): Django's database
sessions, each row also naming its user, so "sign out everywhere" ends every session of
one person on every web node with one indexed delete (docs/architecture.md §11).

The user is written with the session on every save (signing in, a changed key, a new
password), so no session of theirs is missed, whichever node made it.
"""

from __future__ import annotations

import time

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

from .models import UserSession


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls):
        return UserSession

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        try:
            row.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            row.user_id = None
        return row


# --- The idle time-out ------------------------------------------------------------------

LAST_SEEN = "portal_last_seen"
# Activity is written at most this often, so an active session costs one write a minute,
# not one a request.
WRITE_EVERY_SECONDS = 60
IDLE_MESSAGE = (
    "You were signed out because you had not used the portal for {time}. Sign in again to carry on."
)


def idle_minutes(scope) -> int:
    """How long a session may stay unused: shorter for the LA's people (who see the
    county), longer for school staff and panel members."""
    from django.conf import settings

    if scope.is_la or scope.is_dpo:
        return settings.SESSION_IDLE_LA_MINUTES
    return settings.SESSION_IDLE_SCHOOL_MINUTES


def start_clock(session, user, now: float | None = None) -> None:
    """Mark the session used now; its stored expiry is the user's time-out."""
    from portal.roles import scope_for

    session[LAST_SEEN] = time.time() if now is None else now
    session.set_expiry(idle_minutes(scope_for(user)) * 60)


def in_words(minutes: int) -> str:
    from portal.wording import counted

    if minutes % 60 == 0:
        return counted(minutes // 60, "hour")
    return counted(minutes, "minute")
