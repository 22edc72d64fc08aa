"""Print where the portal is and one login per role, from the database (works on re-runs)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from clusters.models import Membership
from demo import context as demo
from demo.management.commands.load_demo_county import resolve


def known_logins() -> list[demo.DemoLogin]:
    """Each step module may declare ``DEMO_LOGINS``; collected in step order, once each."""
    logins: list[demo.DemoLogin] = []
    seen: set[str] = set()
    for dotted in demo.DEMO_STEPS:
        module_path = dotted.rpartition(".")[0]
        if module_path in seen:
            continue
        seen.add(module_path)
        declared = resolve(f"{module_path}.DEMO_LOGINS")
        for login in declared or ():
            if login.username not in {known.username for known in logins}:
                logins.append(login)
    return logins


def where(user) -> str:
    """The school or cluster a login belongs to, so the newcomer knows whose world it is."""
    membership = (
        Membership.objects.filter(user=user)
        .select_related("school", "cluster")
        .order_by("role")
        .first()
    )
    if membership is None:
        return ""
    if membership.school:
        return membership.school.name
    if membership.cluster:
        return f"{membership.cluster.name} cluster"
    return "county-wide"


class Command(BaseCommand):
    help = "Print the portal's address and one demo login per role."

    def handle(self, *args, **options) -> None:
        logins = known_logins()
        users = get_user_model().objects.in_bulk(
            [login.username for login in logins], field_name="username"
        )
        self.stdout.write(f"Sign in at {settings.PORTAL_BASE_URL}/sign-in/")
        self.stdout.write(f"Every demo login has the password: {demo.DEMO_PASSWORD}")
        self.stdout.write("")
        found = 0
        for login in logins:
            user = users.get(login.username)
            if user is None or not user.is_active:
                continue
            found += 1
            place = where(user)
            self.stdout.write(
                f"  {login.role}: {login.username}" + (f" — {place}" if place else "")
            )
            self.stdout.write(f"      try first: {login.description}")
        if not found:
            self.stdout.write("  No demo users yet: run manage.py load_demo_county first.")
        self._invitations()

    def _invitations(self) -> None:
        """How to invite someone, and a waiting invitation's link to try."""
        from accounts.models import Invitation
        from accounts.services import link_for

        self.stdout.write("")
        self.stdout.write(
            "To invite someone: sign in as la.send, then Dashboard > People and invitations > "
            f"Invite someone ({settings.PORTAL_BASE_URL}/invitations/new/), or invite a "
            f"whole county's staff from a CSV file ({settings.PORTAL_BASE_URL}/invitations/bulk/)."
            " Invitation emails are printed in this console."
        )
        waiting = (
            Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
            .order_by("pk")
            .first()
        )
        if waiting is not None and waiting.state == "pending":
            self.stdout.write(
                f"A waiting invitation ({waiting.email}, {waiting.get_role_display()}) to try: "
                f"{link_for(waiting)}"
            )
