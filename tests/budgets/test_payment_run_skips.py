"""The daily payment run never skips an instalment silently.

A due instalment it cannot pay (the request is no longer funded, or the instalment is
more than the award has left unpaid) is logged with its request and the reason, the
LA finance officers are told once per run in one notification (and not again on the
next morning's run unless the reason changed), and the payments page shows it with
why and what to do until it is paid or re-planned.
"""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from budgets import services
from budgets.models import EntryKind, InstalmentStatus, LedgerEntry, PaymentInstalment
from clusters.models import Role
from funding.models import FundingRequest
from funding.services import apply_transition
from funding.workflow import Award
from portal.models import Notification
from tests.factories import make_user

from .factories import request_on_agenda

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("panel_rules")]


def award(budget, chair, amount="3000.00") -> FundingRequest:
    """An award of £3,000 paid termly over 30 weeks from five weeks today (the same plan each)."""
    start = timezone.localdate() + timedelta(weeks=5)
    fr = request_on_agenda(budget, start_date=start, end_date=start + timedelta(weeks=30))
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal(amount))
    )
    return fr


def first_instalment(fr) -> PaymentInstalment:
    return PaymentInstalment.objects.filter(request=fr).order_by("due_date", "pk").first()


def release_behind_the_plan(fr, amount: str) -> None:
    """Money released without the instalments being re-planned (a correction on the ledger)."""
    commitment = LedgerEntry.objects.get(request=fr, kind=EntryKind.COMMITMENT)
    LedgerEntry.objects.create(
        budget=commitment.budget,
        kind=EntryKind.RELEASE,
        amount=Decimal(amount),
        reason="Correction",
        request=fr,
        school_id=fr.school_id,
    )


@pytest.fixture
def officers(finance_officer):
    return [finance_officer, make_user(Role.LA_FINANCE_OFFICER, username="finance_officer_2")]


def run_logged(caplog, day):
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="budgets.services"):
        paid = services.pay_due_instalments(on_date=day)
    skips = [r for r in caplog.records if r.levelno == logging.WARNING]
    return paid, skips


def told(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, subject__startswith="Payment run"))


def test_an_unpayable_instalment_is_logged_told_once_and_shown_until_it_is_replanned(
    client, budget, chair, officers, caplog
):
    fine, short, withdrawn = (award(budget, chair) for _ in range(3))
    short_first = first_instalment(short)
    release_behind_the_plan(short, str(3000 - short_first.amount + Decimal("1.00")))
    FundingRequest.objects.filter(pk=withdrawn.pk).update(state="withdrawn")
    day = short_first.due_date
    assert {first_instalment(fr).due_date for fr in (fine, withdrawn)} == {day}
    assert not PaymentInstalment.objects.filter(due_date__lte=day).exclude(due_date=day).exists()

    paid, skips = run_logged(caplog, day)

    assert paid == PaymentInstalment.objects.filter(request=fine, due_date__lte=day).count()
    assert first_instalment(fine).status == InstalmentStatus.PAID
    logged = {r.getMessage() for r in skips}
    assert len(logged) == 2
    assert any(
        short.reference in m and f"instalment {short_first.pk} " in m and "left unpaid" in m
        for m in logged
    )
    assert any(withdrawn.reference in m and "is withdrawn" in m for m in logged)

    # Each finance officer is told once, in one notification naming both.
    for officer in officers:
        (note,) = told(officer)
        assert note.subject == "Payment run: 2 instalments could not be paid"
        assert short.reference in note.body and withdrawn.reference in note.body
        assert note.url == reverse("budgets:payments")

    # The next morning the same two are skipped (and logged) again, but nobody is told twice.
    paid, skips = run_logged(caplog, day + timedelta(days=1))
    assert len(skips) == 2
    assert all(len(told(officer)) == 1 for officer in officers)

    # The payments page shows each, why, and what to do.
    client.force_login(officers[0])
    page = client.get(reverse("budgets:payments")).content.decode()
    assert "Instalments the payment run could not pay" in page
    assert short.reference in page and withdrawn.reference in page
    assert "left unpaid, less than this" in page and "reducing the award re-plans" in page
    assert "is withdrawn, so nothing more is paid on it" in page
    county = client.get(reverse("budgets:county")).content.decode()
    assert 'data-testid="skipped-notice"' in county and "2 due instalments" in county
    money = client.get(reverse("budgets:request", args=[short.pk])).content.decode()
    assert "Not paid by the payment run" in money

    # What to do: reducing the award re-plans its instalments; the skip is gone.
    services.reduce_award(short, Decimal("1000.00"), user=officers[0], reason="Review")
    short_first.refresh_from_db()
    assert short_first.status == InstalmentStatus.CANCELLED
    page = client.get(reverse("budgets:payments")).content.decode()
    assert short.reference not in page.split('data-testid="skipped-instalments"')[-1]


def test_a_skip_for_a_new_reason_is_news(budget, chair, finance_officer, caplog):
    short = award(budget, chair)
    inst = first_instalment(short)
    release_behind_the_plan(short, str(3000 - inst.amount + Decimal("1.00")))
    run_logged(caplog, inst.due_date)
    assert len(told(finance_officer)) == 1

    # More is released: the award now has even less left than the instalment.
    release_behind_the_plan(short, "1.00")
    run_logged(caplog, inst.due_date + timedelta(days=1))

    notes = told(finance_officer)
    assert len(notes) == 2
    assert notes[0].subject == "Payment run: 1 instalment could not be paid"
    inst.refresh_from_db()
    assert inst.skipped_on == inst.due_date + timedelta(days=1)


def test_a_skipped_instalment_paid_later_leaves_the_list(budget, chair, finance_officer, caplog):
    fr = award(budget, chair)
    inst = first_instalment(fr)
    FundingRequest.objects.filter(pk=fr.pk).update(state="withdrawn")
    run_logged(caplog, inst.due_date)
    inst.refresh_from_db()
    assert inst.skip_reason and inst.status == InstalmentStatus.SCHEDULED

    FundingRequest.objects.filter(pk=fr.pk).update(state="active")  # put right
    paid, skips = run_logged(caplog, inst.due_date + timedelta(days=1))

    inst.refresh_from_db()
    assert (inst.status, inst.skip_reason, inst.skipped_on) == (InstalmentStatus.PAID, "", None)
    assert paid >= 1 and not skips
