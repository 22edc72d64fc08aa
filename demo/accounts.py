"""Demo: pending invitations, and how to invite someone.

No random draws (the demo's random sequence stays as it was): the invitations go to
the demo school, its cluster's panel and the county, in a fixed order, through the
accounts app's own service, sent by the demo LA SEND officer (their emails go to the
console, like every demo email).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from clusters.models import Membership, Role
from demo.clusters import DEMO_SENCO, LA_SEND
from demo.context import DemoContext

# Addresses the local identity provider knows too (bin/demo_sso), so a newcomer can
# accept an invitation through single sign-on.
INVITEES = (
    ("invited.senco@example.org", "Priya", "Shah", Role.SENCO),
    ("invited.head@example.org", "Tom", "Barker", Role.HEADTEACHER),
    ("invited.panel@example.org", "Grace", "Okoro", Role.PANEL_MEMBER),
    ("invited.finance@example.org", "Leo", "Marsh", Role.LA_FINANCE_OFFICER),
)


def load(ctx: DemoContext) -> None:
    from accounts import services

    if ctx.scale != "county":
        return
    users = get_user_model().objects
    officer = users.filter(username=LA_SEND).first()
    senco = users.filter(username=DEMO_SENCO).first()
    if officer is None or senco is None:
        return
    school = (
        Membership.objects.filter(user=senco, school__isnull=False)
        .select_related("school__cluster")
        .first()
        .school
    )
    for email, first, last, role in INVITEES:
        services.invite(
            by=officer,
            email=email,
            first_name=first,
            last_name=last,
            role=role,
            school=school,
            cluster=school.cluster,
        )
    ctx.log(f"  {len(INVITEES)} invitations waiting, sent by {LA_SEND}")
