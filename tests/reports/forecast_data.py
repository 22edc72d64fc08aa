"""A small county's budgets for the forecast, worked by hand in test_forecast_report.py.

Financial year 2025/26, as of 10 January 2026: the months left are January, February
and March 2026. In 2024/25 the county committed £4,000 in October, £2,000 in January,
£1,000 in February and £1,000 in March: the months left follow 2 : 1 : 1.

    cluster  allocated  committed               paid     undecided asks     after 31 March
    Alpha    £50,000    £40,000 − £2,000 back   £15,000  £10,000 + £6,000   £3,000 (1 award)
    Beta     £20,000    £19,000                 £9,500   £3,000             £1,000 (1 award)

Decisions in the two years to the snapshot: Alpha 5 (4 awards of £7,500 on asks of
£10,000, 1 declined); Beta 2 (1 award of £5,000 on £10,000, 1 declined): too few, so
Beta is forecast at the county's rates.
"""

from datetime import date, datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from budgets.models import ClusterBudget, EntryKind, FinancialYear, LedgerEntry, PaymentInstalment
from clusters.models import Role
from panels.models import Decision
from tests.factories import (
    ClusterFactory,
    DistrictFactory,
    FundingRequestFactory,
    FundingStreamFactory,
    SchoolFactory,
    make_user,
)

LONDON = ZoneInfo("Europe/London")
AS_OF = datetime(2026, 1, 10, 12, 0, tzinfo=LONDON)
_refs = count(1)


def at(y, m, d=15):
    return datetime(y, m, d, 10, 0, tzinfo=LONDON)


def entry(budget, kind, amount, when, request=None):
    return LedgerEntry.objects.create(
        budget=budget, kind=kind, amount=Decimal(amount), reason="Test", created_at=when,
        request=request, school=request.school if request else None,
    )  # fmt: skip


def request(school, state, asked="10000.00", stream=None, **kw):
    return FundingRequestFactory(
        school=school,
        stream=stream or FundingStreamFactory(),
        state=state,
        reference=None if state == "draft" else f"ENG-F-{next(_refs):05d}",
        submitted_at=None if state == "draft" else at(2025, 11),
        amount_requested=Decimal(asked),
        evidence=False,
        **kw,
    )


def decide(req, outcome, amount, when, chair):
    d = Decision.objects.create(
        request=req, outcome=outcome, amount=None if amount is None else Decimal(amount),
        rationale="Test", review_date=date(2026, 7, 1) if amount else None, chair=chair,
        by_chairs_action=True, la_officer=chair,
    )  # fmt: skip
    Decision.objects.filter(pk=d.pk).update(decided_at=when)
    return d


def instalment(budget, req, due, amount, status="scheduled"):
    return PaymentInstalment.objects.create(
        request=req, budget=budget, school=req.school, due_date=due, term="Summer 2026",
        amount=Decimal(amount), status=status,
    )  # fmt: skip


def make_forecast_county(
    start_year: int = 2025, shift_days: int = 0, district_name: str = "Cherwell"
) -> dict:
    """The county above; ``start_year`` and ``shift_days`` move it to another year (the
    worker's test runs it in the financial year of today)."""
    from datetime import timedelta

    y = start_year - 2025
    shift = timedelta(days=shift_days)

    def when(yy, m, d=15):
        return at(yy + y, m, d) + shift

    district = DistrictFactory(name=district_name)
    alpha = ClusterFactory(district=district, name="Alpha")
    beta = ClusterFactory(district=district, name="Beta")
    a_school = SchoolFactory(name="Alpha Primary", cluster=alpha)
    b_school = SchoolFactory(name="Beta Primary", cluster=beta)
    stream = FundingStreamFactory()
    this = FinancialYear.objects.get_or_create(start_year=start_year)[0]
    before = FinancialYear.objects.get_or_create(start_year=start_year - 1)[0]
    chair = make_user(Role.LA_SEND_OFFICER, username="forecast_chair")

    a_budget = ClusterBudget.objects.create(cluster=alpha, stream=stream, year=this)
    b_budget = ClusterBudget.objects.create(cluster=beta, stream=stream, year=this)
    old = ClusterBudget.objects.create(cluster=alpha, stream=stream, year=before)

    # Last year's pattern (commitments only count: the release is not timing).
    old_award = request(a_school, "closed", stream=stream)
    entry(old, EntryKind.ALLOCATION, "9000", when(2024, 4))
    for month, amount in ((10, "4000"), (1, "2000"), (2, "1000"), (3, "1000")):
        entry(old, EntryKind.COMMITMENT, amount, when(2024 + (month < 4), month), old_award)
    entry(old, EntryKind.RELEASE, "500", when(2025, 3, 20), old_award)

    # This year's ledger.
    entry(a_budget, EntryKind.ALLOCATION, "50000", when(2025, 4))
    entry(b_budget, EntryKind.ALLOCATION, "20000", when(2025, 4))
    a_award = request(a_school, "active", stream=stream)
    b_award = request(b_school, "active", stream=stream)
    entry(a_budget, EntryKind.COMMITMENT, "40000", when(2025, 6), a_award)
    entry(a_budget, EntryKind.RELEASE, "2000", when(2025, 9), a_award)
    entry(a_budget, EntryKind.PAYMENT, "15000", when(2025, 9), a_award)
    entry(b_budget, EntryKind.COMMITMENT, "19000", when(2025, 6), b_award)
    entry(b_budget, EntryKind.PAYMENT, "9500", when(2025, 9), b_award)
    instalment(a_budget, a_award, date(2026 + y, 2, 20), "4000")  # within the year
    instalment(a_budget, a_award, date(2026 + y, 4, 20), "3000")  # next year
    instalment(b_budget, b_award, date(2026 + y, 5, 1), "1000")  # next year
    instalment(b_budget, b_award, date(2026 + y, 6, 1), "700", status="cancelled")

    # The rates: decisions in the two years to the snapshot.
    for _ in range(4):
        decide(request(a_school, "active", stream=stream), "approved", "7500", when(2025, 5), chair)
    decide(request(a_school, "declined", stream=stream), "declined", None, when(2025, 5), chair)
    decide(request(b_school, "active", stream=stream), "partially_approved", "5000",
           when(2025, 5), chair)  # fmt: skip
    decide(request(b_school, "declined", stream=stream), "declined", None, when(2025, 5), chair)
    # Too old to count (more than 24 months before the snapshot).
    decide(request(b_school, "declined", stream=stream), "declined", None, when(2023, 11), chair)

    # The pipeline: submitted and undecided. A draft is not counted.
    request(a_school, "submitted", "10000.00", stream=stream)
    request(a_school, "on_agenda", "6000.00", stream=stream)
    request(b_school, "deferred", "3000.00", stream=stream)
    request(a_school, "draft", "9999.00", stream=stream)
    return {"district": district, "alpha": alpha, "beta": beta, "stream": stream,
            "as_of": AS_OF.replace(year=AS_OF.year + y) + shift}  # fmt: skip
