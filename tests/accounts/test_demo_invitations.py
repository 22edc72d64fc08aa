"""The demo has invitations waiting, and tells the newcomer how to invite someone."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Invitation
from demo import context as demo

pytestmark = pytest.mark.django_db


def test_the_demo_has_pending_invitations_and_says_how_to_invite(monkeypatch):
    monkeypatch.setattr(demo, "DEMO_STEPS", ("demo.clusters.load", "demo.accounts.load"))
    call_command("load_demo_county", "--seed", "11", "--today", "2026-03-02", stdout=io.StringIO())
    pending = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    assert sorted(pending.values_list("role", flat=True)) == [
        "headteacher", "la_finance_officer", "panel_member", "senco",
    ]  # fmt: skip
    assert {i.invited_by.username for i in pending} == {"la.send"}
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    printed = out.getvalue()
    assert "To invite someone: sign in as la.send" in printed
    assert "/invitations/accept/" in printed


def test_the_demo_has_a_leaver_whose_draft_went_to_the_demo_senco(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from clusters.models import Membership
    from funding.models import FundingRequest

    monkeypatch.setattr(
        demo, "DEMO_STEPS", ("demo.clusters.load", "demo.funding.load", "demo.accounts.load")
    )
    call_command("load_demo_county", "--seed", "11", stdout=io.StringIO())
    leaving = Membership.objects.get(user__username="leaver.demo")
    assert leaving.ends_on == timezone.localdate() + timedelta(days=1)
    handed = FundingRequest.objects.get(events__kind="handed_over")
    assert handed.created_by.username == "senco.demo" and handed.school_id == leaving.school_id
