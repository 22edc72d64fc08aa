"""Demo: pending invitations, how to invite someone, and a leaver.

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
    _leaver(officer, senco, school, ctx)


LEAVER = "leaver.demo"


def _leaver(officer, senco, school, ctx: DemoContext) -> None:
    """A second SENCO at the demo school who is leaving: her draft is handed to the demo
    SENCO and her membership ends tomorrow (through the accounts app's service)."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts import services
    from funding import services as funding_services
    from funding.models import FundingStream

    leaver = get_user_model().objects.create(
        username=LEAVER, email=f"{LEAVER}@example.org", first_name="Rosa", last_name="Field",
        password=senco.password,  # the demo password
    )  # fmt: skip
    membership = Membership.objects.create(user=leaver, role=Role.SENCO, school=school)
    stream = FundingStream.objects.filter(is_open=True).order_by("pk").first()
    if stream is not None:
        funding_services.create_draft(user=leaver, school=school, stream=stream)
    # Tomorrow by the clock (the service refuses a day gone), whatever the demo's "today".
    ends_on = max(ctx.today, timezone.localdate()) + timedelta(days=1)
    services.end_membership(officer, membership, ends_on, senco if stream else None)
    ctx.log(
        f"  {LEAVER} leaves {school.name} on {ends_on:%-d %B %Y}; her draft is {senco.username}'s"
    )
