from django.conf import settings

from .roles import scope_for


def portal(request):
    user = getattr(request, "user", None)
    scope = scope_for(user) if user is not None else None
    return {
        "portal_scope": scope,
        "la_name": settings.LA_NAME,
    }
