"""The one way a template asks who may do what.

    {% load policy %}
    {% can "panels.record_appeal" user fr as allowed %}
    {% if allowed %}…{% endif %}

The name is ``"<app>.<action>"``: ``<app>/policy.py``'s ``can_<action>``
(:mod:`portal.policy` holds the registry). An unknown name is an error, not a quiet no.
"""

from __future__ import annotations

from typing import Any

from django import template

from portal.policy import User, allowed

register = template.Library()


@register.simple_tag(name="can")
def can(name: str, user: User, *objects: Any) -> bool:
    return allowed(name, user, *objects)
