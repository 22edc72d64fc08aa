"""Every read of the accounts app, scoped to the user."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from clusters.models import Membership, Role
from portal.filters import as_id

from . import policy
from .models import Invitation, InvitationState


def visible_invitations(user: AbstractBaseUser) -> QuerySet[Invitation]:
    """The LA SEND officer sees the county's invitations; anyone else none."""
    if not policy.can_see_invitations(user):
        return Invitation.objects.none()
    return Invitation.objects.select_related("school", "cluster", "invited_by")


def invitations(user: AbstractBaseUser, *, state: str = "", query: str = "") -> QuerySet:
    found = visible_invitations(user)
    now = timezone.now()
    if state == InvitationState.PENDING:
        found = found.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
    elif state == InvitationState.ACCEPTED:
        found = found.filter(accepted_at__isnull=False)
    elif state == InvitationState.REVOKED:
        found = found.filter(revoked_at__isnull=False)
    elif state == InvitationState.EXPIRED:
        found = found.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now)
    if query:
        found = found.filter(
            Q(email__icontains=query)
            | Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(school__name__icontains=query)
        )
    return found


def invitation(user: AbstractBaseUser, pk: int) -> Invitation:
    found = visible_invitations(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- People and their memberships (the LA SEND officer's people page) ----------------


@dataclass(frozen=True)
class PeopleFilters:
    """What the people page and the memberships API filter by; anything not understood
    (an unknown role, a cluster that is not an id) is ignored rather than an error."""

    query: str = ""  # words of a name, email or username
    school: str = ""  # a URN, or part of a school's name
    cluster: int | None = None
    role: str = ""

    @classmethod
    def from_params(cls, params) -> PeopleFilters:
        role = (params.get("role") or "").strip()
        return cls(
            query=(params.get("q") or "").strip()[:100],
            school=(params.get("school") or "").strip()[:100],
            cluster=as_id(params.get("cluster")),
            role=role if role in Role.values else "",
        )

    def memberships_q(self, prefix: str = "") -> Q:
        """The membership conditions (school, cluster, role), from ``prefix``."""
        q = Q()
        if self.school:
            urn = as_id(self.school)
            q &= (
                Q(**{f"{prefix}school__urn": urn})
                if urn
                else Q(**{f"{prefix}school__name__icontains": self.school})
            )
        if self.cluster:
            q &= Q(**{f"{prefix}cluster_id": self.cluster}) | Q(
                **{f"{prefix}school__cluster_id": self.cluster}
            )
        if self.role:
            q &= Q(**{f"{prefix}role": self.role})
        return q

    def person_q(self, prefix: str = "") -> Q:
        """Every word of the query in the person's first or last name, email or username."""
        q = Q()
        for word in self.query.split()[:5]:
            q &= (
                Q(**{f"{prefix}first_name__icontains": word})
                | Q(**{f"{prefix}last_name__icontains": word})
                | Q(**{f"{prefix}email__icontains": word})
                | Q(**{f"{prefix}username__icontains": word})
            )
        return q


def _memberships() -> QuerySet[Membership]:
    return Membership.objects.select_related("school", "cluster", "user").order_by(
        "ends_on", "role", "pk"
    )


def people(user: AbstractBaseUser, filters: PeopleFilters) -> QuerySet:
    """The people holding a membership (current or ended) that matches, each with every
    membership of theirs prefetched (``memberships``): a page is three queries (count,
    people, memberships), whatever the county's size. Nobody for anyone but the LA SEND
    officer."""
    User = get_user_model()
    if not policy.can_manage_people(user):
        return User.objects.none()
    # One filter() call: the school, cluster and role conditions hold of the same membership.
    found = User.objects.filter(
        filters.memberships_q("memberships__"), memberships__isnull=False
    ).filter(filters.person_q())
    return (
        found.distinct()
        .order_by("last_name", "first_name", "pk")
        .prefetch_related(Prefetch("memberships", queryset=_memberships()))
    )


def visible_memberships(user: AbstractBaseUser) -> QuerySet[Membership]:
    """Every membership, for the LA SEND officer; none for anyone else."""
    if not policy.can_manage_people(user):
        return Membership.objects.none()
    return _memberships()


def memberships(user: AbstractBaseUser, filters: PeopleFilters) -> QuerySet[Membership]:
    return (
        visible_memberships(user)
        .filter(filters.memberships_q())
        .filter(filters.person_q("user__"))
        .order_by("user__last_name", "user__first_name", "user_id", "pk")
    )


def membership(user: AbstractBaseUser, pk: int) -> Membership:
    """One membership the user may end, or 404."""
    found = visible_memberships(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def drafts_to_hand_over(membership: Membership) -> list:
    """A SENCO's drafts at the school, which go to another SENCO when they leave."""
    from funding.selectors import drafts_held_by

    if membership.role != Role.SENCO or membership.school_id is None:
        return []
    return drafts_held_by(membership.user, membership.school)


def own_memberships(user: AbstractBaseUser) -> list[Membership]:
    """The user's current memberships, for their account page."""
    return list(
        Membership.objects.current()
        .filter(user_id=user.pk)
        .select_related("school", "cluster")
        .order_by("role", "pk")
    )
