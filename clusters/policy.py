"""Who may see what in the cluster directory: the clusters app's one policy."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from portal.roles import scope_for

from .models import School

User = AbstractBaseUser | AnonymousUser


def can_see_every_cluster(user: User) -> bool:
    """LA officers see every cluster and school in full; others their own clusters'."""
    return scope_for(user).is_la


def can_see_people(user: User, school: School) -> bool:
    """Who holds which role at a school: for the LA and the school's own staff."""
    scope = scope_for(user)
    return scope.is_la or school.pk in scope.school_ids


def can_import_schools(user: User) -> bool:
    """The LA SEND officer loads GIAS and the schools' statistics by upload."""
    return scope_for(user).is_send_officer


def can_edit_cluster_map(user: User) -> bool:
    """The LA SEND officer moves schools between clusters, renames and adds clusters."""
    return scope_for(user).is_send_officer


def require_import_schools(user: User) -> None:
    if not can_import_schools(user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only the LA SEND officer imports schools and statistics.")


def require_edit_cluster_map(user: User) -> None:
    if not can_edit_cluster_map(user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only the LA SEND officer changes the cluster map.")
