"""Who a user is and where they may look.

Every selector scopes its queryset with the :class:`Scope` of the user, computed
once per request from their memberships (one query), so lists stay at a constant
number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from clusters.models import LA_ROLES, Membership, Role


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    roles: frozenset[str] = field(default_factory=frozenset)
    school_ids: frozenset[int] = field(default_factory=frozenset)
    # Clusters the user belongs to: their schools' clusters and any panel-member clusters.
    cluster_ids: frozenset[int] = field(default_factory=frozenset)
    is_admin: bool = False

    @property
    def is_la(self) -> bool:
        return self.is_admin or bool(self.roles & LA_ROLES)

    @property
    def is_send_officer(self) -> bool:
        return self.is_admin or Role.LA_SEND_OFFICER in self.roles

    @property
    def is_finance_officer(self) -> bool:
        return self.is_admin or Role.LA_FINANCE_OFFICER in self.roles

    @property
    def sees_pupil_detail(self) -> bool:
        """Finance officers see request totals, never pupil detail."""
        return self.is_admin or Role.LA_SEND_OFFICER in self.roles or bool(self.school_ids)

    @property
    def is_dpo(self) -> bool:
        """The data-protection officer reads the view audit, nothing of the requests."""
        return Role.DPO in self.roles

    @property
    def is_school_staff(self) -> bool:
        return bool(self.roles & {Role.SENCO, Role.HEADTEACHER})

    @property
    def is_headteacher(self) -> bool:
        return Role.HEADTEACHER in self.roles

    @property
    def is_senco(self) -> bool:
        return Role.SENCO in self.roles

    @property
    def primary_role(self) -> str | None:
        """The role whose dashboard the user lands on."""
        for role in (
            Role.LA_SEND_OFFICER,
            Role.LA_FINANCE_OFFICER,
            Role.HEADTEACHER,
            Role.SENCO,
            Role.PANEL_MEMBER,
            Role.DPO,
        ):
            if role in self.roles:
                return role
        return "admin" if self.is_admin else None


ANONYMOUS = Scope(user_id=None)


def scope_for(user: AbstractBaseUser | AnonymousUser) -> Scope:
    """The user's scope, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_portal_scope", None)
    if cached is not None:
        return cached
    rows = list(
        # Current memberships only: a leaver loses access the day their membership ends.
        Membership.objects.current()
        .filter(user_id=user.pk)
        .values_list("role", "school_id", "school__cluster_id", "cluster_id")
    )
    scope = Scope(
        user_id=user.pk,
        roles=frozenset(r[0] for r in rows),
        school_ids=frozenset(r[1] for r in rows if r[1]),
        cluster_ids=frozenset(c for r in rows for c in (r[2], r[3]) if c),
        is_admin=bool(user.is_superuser),
    )
    user._portal_scope = scope
    return scope
