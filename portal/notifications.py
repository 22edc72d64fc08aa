"""Notifications: an in-app row and an email, sent once the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from .models import Notification

User = get_user_model()


def notify(users: Iterable[User], subject: str, body: str = "", url: str = "") -> None:
    """Tell each user, in the app and by email. Call inside the service's transaction."""
    users = [u for u in users if u is not None and u.is_active]
    Notification.objects.bulk_create(
        [Notification(user=u, subject=subject[:200], body=body, url=url) for u in users]
    )
    recipients = [u.email for u in users if u.email]
    if not recipients:
        return
    link = f"{settings.PORTAL_BASE_URL}{url}" if url else settings.PORTAL_BASE_URL

    def _send() -> None:
        # One message per person: recipients must not see each other's addresses.
        for address in recipients:
            send_mail(subject, f"{body}\n\n{link}", None, [address], fail_silently=True)

    transaction.on_commit(_send)
