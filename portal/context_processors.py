from django.conf import settings

from clusters.models import Role

from .roles import scope_for


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
    }
