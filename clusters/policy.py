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
