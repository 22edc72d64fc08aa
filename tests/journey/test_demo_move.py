"""The demo's "funding follows the pupil" example moves an award that still has money to
pay, and its log says what really happened."""

import io
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets import selectors, services
from budgets.models import InstalmentStatus
from clusters.models import Role
from demo import budgets as demo
from demo.context import DemoContext
from tests.factories import (
    FundingRequestFactory,
    FundingStreamFactory,
    SchoolFactory,
    SchoolYearStatsFactory,
)

pytestmark = pytest.mark.django_db


def awarded(school, stream, amount: str, reference: str, officer):
    start = timezone.localdate() + timedelta(days=30)
    fr = FundingRequestFactory(
        stream=stream, school=school, state="approved", reference=reference,
        amount_requested=Decimal(amount), amount_awarded=Decimal(amount),
        start_date=start, end_date=start + timedelta(weeks=30),
    )  # fmt: skip
    services.commit_for_request(fr, Decimal(amount), user=officer, reason="Award")
    return fr


def test_the_demo_moves_a_pupil_whose_award_still_has_money_to_pay(finance_officer, send_officer):
    today = timezone.localdate()
    stream = FundingStreamFactory()
    here, there = SchoolFactory(), SchoolFactory()
    for school in (here, there):
        SchoolYearStatsFactory(school=school, academic_year=today.year)
    ctx = DemoContext(rng=random.Random(1), today=today, out=io.StringIO())
    ctx.shared["users"] = {
        Role.LA_FINANCE_OFFICER.value: finance_officer,
        Role.LA_SEND_OFFICER.value: send_officer,
    }
    demo.load(ctx)
    # The oldest award is paid in full; the next still has everything to pay.
    paid_up = awarded(here, stream, "1200.00", "ENG-2026-00001", finance_officer)
    for instalment in paid_up.instalments.filter(status=InstalmentStatus.SCHEDULED):
        services.pay_instalment(instalment, user=finance_officer)
    owed = awarded(here, stream, "3000.00", "ENG-2026-00002", finance_officer)

    demo.load_payments(ctx)

    log = ctx.out.getvalue()
    assert "skipped" not in log
    assert f"ENG-2026-00002's unpaid funding (£3,000.00) followed the pupil to {there}" in log
    assert "ENG-2026-00001" not in log
    paid_up.refresh_from_db()
    owed.refresh_from_db()
    assert paid_up.school == here and owed.school == there
    assert selectors.request_totals(owed).committed == Decimal("3000.00")


def test_the_demo_says_so_when_no_award_has_money_left_to_move(finance_officer, send_officer):
    today = timezone.localdate()
    stream = FundingStreamFactory()
    here = SchoolFactory()
    SchoolFactory()
    SchoolYearStatsFactory(school=here, academic_year=today.year)
    ctx = DemoContext(rng=random.Random(1), today=today, out=io.StringIO())
    ctx.shared["users"] = {
        Role.LA_FINANCE_OFFICER.value: finance_officer,
        Role.LA_SEND_OFFICER.value: send_officer,
    }
    demo.load(ctx)
    paid_up = awarded(here, stream, "1200.00", "ENG-2026-00001", finance_officer)
    for instalment in paid_up.instalments.filter(status=InstalmentStatus.SCHEDULED):
        services.pay_instalment(instalment, user=finance_officer)

    demo.load_payments(ctx)

    log = ctx.out.getvalue()
    assert "no award has money left to pay, so no pupil's move is shown" in log
    assert "followed the pupil" not in log
    paid_up.refresh_from_db()
    assert paid_up.school == here
