from django import template

from accounts import sso

register = template.Library()


@register.simple_tag
def sso_providers() -> list[sso.Provider]:
    """The single sign-on providers configured (settings.OIDC_PROVIDERS)."""
    return sso.configured()
