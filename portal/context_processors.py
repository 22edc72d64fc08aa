from django.conf import settings

from clusters.models import Role

from .models import Notification
from .roles import scope_for


def _unread(user):
    """The header's unread count: one query, only when a page shows the header."""
    return lambda: Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def portal(request):
    user = getattr(request, "user", None)
    scope = scope_for(user) if user is not None else None
    role = scope.primary_role if scope else None
    return {
        "portal_scope": scope,
        "portal_role_label": Role(role).label
        if role in Role.values
        else ("Administrator" if role else ""),
        "la_name": settings.LA_NAME,
        "portal_unread": _unread(user) if user is not None and user.is_authenticated else 0,
    }
