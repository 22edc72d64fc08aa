"""The demo allocates every stream by formula, then pays and moves money like a real year."""

import io
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets import selectors
from budgets.models import EntryKind, LedgerEntry, PaymentInstalment
from clusters.models import Cluster, Role
from demo import budgets as demo
from demo.context import DemoContext
from funding.services import apply_transition
from funding.workflow import Award
from tests.factories import FundingStreamFactory, SchoolFactory, SchoolYearStatsFactory

from .factories import ClusterBudgetFactory, request_on_agenda

pytestmark = pytest.mark.django_db


def test_the_demo_allocates_then_pays_moves_and_rebalances(
    finance_officer, send_officer, today, panel_rules, chair
):
    FundingStreamFactory()
    schools = [SchoolFactory() for _ in range(3)]
    for s in schools:
        SchoolYearStatsFactory(school=s, academic_year=2026)
    ctx = DemoContext(rng=random.Random(1), today=today, out=io.StringIO())
    ctx.shared["users"] = {
        Role.LA_FINANCE_OFFICER.value: finance_officer,
        Role.LA_SEND_OFFICER.value: send_officer,
    }

    demo.load(ctx)

    board = selectors.budget_board(finance_officer)
    assert len(board.rows) == Cluster.objects.count()  # every cluster, even without schools
    assert board.totals.allocated == Decimal("60000.00")

    fr = request_on_agenda(
        ClusterBudgetFactory(cluster=schools[0].cluster, year=board.year),
        school=schools[0],
        start_date=today,
    )
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("3000.00"))
    )

    demo.load_payments(ctx)

    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds == set(EntryKind.values)
    fr.refresh_from_db()
    assert fr.school != schools[0]  # the pupil moved, and the money with them
    assert selectors.request_totals(fr).committed == Decimal("3000.00")


def test_the_demo_dates_its_replayed_year_on_the_ledger_and_nothing_else(
    finance_officer, today, panel_rules, chair, this_year
):
    """The demo passes each write the time it replays (an injected ``at``); no state is
    left behind, so a live award made meanwhile is dated now."""
    from datetime import timedelta
    from types import SimpleNamespace

    FundingStreamFactory()
    school = SchoolFactory()
    SchoolYearStatsFactory(school=school, academic_year=2026)
    ctx = DemoContext(rng=random.Random(1), today=today, out=io.StringIO())
    ctx.shared["users"] = {Role.LA_FINANCE_OFFICER.value: finance_officer}
    demo.load(ctx)
    board = selectors.budget_board(finance_officer)
    fr = request_on_agenda(
        ClusterBudgetFactory(cluster=school.cluster, year=board.year), school=school
    )
    meeting = SimpleNamespace(date=today - timedelta(days=1))

    apply_transition(
        fr,
        "approve",
        user=chair,
        message="Yes",
        command=Award(
            amount=Decimal("100.00"), meeting=meeting, decided_at=demo.decided_at(ctx, meeting)
        ),
    )
    live = request_on_agenda(ClusterBudgetFactory(cluster=school.cluster, year=board.year))
    apply_transition(
        live,
        "approve",
        user=chair,
        message="Yes",
        command=Award(amount=Decimal("1.00"), meeting=meeting),
    )

    dated = LedgerEntry.objects.get(request=fr, kind=EntryKind.COMMITMENT).created_at
    assert timezone.localtime(dated).date() == max(meeting.date, this_year.start)
    assert timezone.localtime(dated).hour == 15
    now = LedgerEntry.objects.get(request=live, kind=EntryKind.COMMITMENT).created_at
    assert timezone.localtime(now).date() == today
    # The allocation is dated at the start of the replayed year (or of its 26 weeks).
    allocated = LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION).first().created_at
    assert timezone.localtime(allocated).date() == max(this_year.start, today - timedelta(weeks=26))
    # A meeting today or later is not in the past: its award is dated when it is made.
    assert demo.decided_at(ctx, SimpleNamespace(date=today)) is None


def test_the_demos_payment_runs_date_each_payment_on_its_due_day(
    finance_officer, send_officer, today, panel_rules, chair
):
    from datetime import timedelta

    FundingStreamFactory()
    school = SchoolFactory()
    SchoolYearStatsFactory(school=school, academic_year=2026)
    ctx = DemoContext(rng=random.Random(1), today=today, out=io.StringIO())
    ctx.shared["users"] = {Role.LA_FINANCE_OFFICER.value: finance_officer}
    demo.load(ctx)
    board = selectors.budget_board(finance_officer)
    fr = request_on_agenda(
        ClusterBudgetFactory(cluster=school.cluster, year=board.year), school=school
    )
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("300.00"))
    )
    # Its first instalment fell due three days ago.
    first = PaymentInstalment.objects.filter(request=fr).order_by("due_date").first()
    PaymentInstalment.objects.filter(pk=first.pk).update(due_date=today - timedelta(days=3))

    demo.load_payments(ctx)

    payment = LedgerEntry.objects.get(request=fr, kind=EntryKind.PAYMENT)
    assert payment.paid_instalment.due_date == today - timedelta(days=3)
    assert timezone.localtime(payment.created_at).date() == today - timedelta(days=3)
    assert timezone.localtime(payment.created_at).hour == 9
