"""Who may ask for and read reports: the reports app's one policy."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from portal.roles import scope_for

from .models import ScopeKind
from .selectors import headteacher_cluster_ids

User = AbstractBaseUser | AnonymousUser


def can_find_reports(user: User) -> bool:
    """The header links to reports for LA officers and headteachers."""
    scope = scope_for(user)
    return scope.is_la or scope.is_headteacher


def can_use_reports(user: User) -> bool:
    """LA officers, and headteachers of a school in a cluster, use the reports pages."""
    scope = scope_for(user)
    return scope.is_la or bool(scope.is_headteacher and headteacher_cluster_ids(user))


def can_request(user: User, scope_kind: str, scope_id: int | None) -> bool:
    """LA officers ask for any report; a headteacher for their own cluster's."""
    if scope_for(user).is_la:
        return True
    return scope_kind == ScopeKind.CLUSTER and scope_id in headteacher_cluster_ids(user)


def can_import_escalation(user: User) -> bool:
    """LA officers load the LA's escalation extract (it is the LA's own data)."""
    return scope_for(user).is_la
