"""A small county worked by hand (the figures are in tests/reports/test_small_county.py).

Two clusters of two primary schools, 2025/26:

    school  roll  FSM  EHCP  SEN sup  susp  perm  SEN joiners  notional £
    A1       200   40     4       30     2     0            6      50,000
    A2       300   30     3       30     6     1            1      60,000
    B1       100   20     6       20     0     0            0      20,000
    B2       400   10     4       20     4     0            1      30,000

Requests submitted in 2025/26: A1 approved £6,000 and partly approved £4,000 (each with
a £6,000 school contribution) and one declined; A2 one closed after an award of £2,000
(£6,000 contribution) and one withdrawn; B1 one active with £8,000 (£6,000); B2 one
still waiting. Plus, not counted: an A1 award of £9,999 submitted in August 2025 (the
year before) and a draft.
"""

from datetime import datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from clusters.models import Role
from tests.factories import (
    ClusterFactory,
    DistrictFactory,
    FundingRequestFactory,
    SchoolFactory,
    SchoolYearStatsFactory,
    make_user,
)

LONDON = ZoneInfo("Europe/London")
IN_YEAR = datetime(2025, 10, 1, 10, 0, tzinfo=LONDON)
YEAR_BEFORE = datetime(2025, 8, 15, 10, 0, tzinfo=LONDON)
_refs = count(1)

STATS = {
    # roll, fsm, ehcp, sen support, suspensions, perm exclusions, joiners, notional
    "A1": (200, 40, 4, 30, 2, 0, 6, "50000"),
    "A2": (300, 30, 3, 30, 6, 1, 1, "60000"),
    "B1": (100, 20, 6, 20, 0, 0, 0, "20000"),
    "B2": (400, 10, 4, 20, 4, 0, 1, "30000"),
}


def make_request(school, state, awarded=None, contribution="6000.00", submitted=IN_YEAR):
    return FundingRequestFactory(
        school=school,
        state=state,
        reference=None if state == "draft" else f"ENG-T-{next(_refs):05d}",
        submitted_at=None if state == "draft" else submitted,
        amount_awarded=None if awarded is None else Decimal(awarded),
        school_contribution=Decimal(contribution),
        amount_requested=Decimal("10000.00"),
        total_cost=Decimal("16000.00"),
        evidence=False,
    )


@pytest.fixture
def small_county(db):
    district = DistrictFactory(name="Cherwell")
    cluster_a = ClusterFactory(district=district, name="Alpha")
    cluster_b = ClusterFactory(district=district, name="Beta")
    schools = {}
    for name, figures in STATS.items():
        cluster = cluster_a if name.startswith("A") else cluster_b
        school = SchoolFactory(name=f"{name} Primary", cluster=cluster)
        roll, fsm, ehcp, sup, susp, perm, joiners, notional = figures
        SchoolYearStatsFactory(
            school=school,
            academic_year=2025,
            number_on_roll=roll,
            fsm_pupils=fsm,
            ehcp_pupils=ehcp,
            sen_support_pupils=sup,
            suspensions=susp,
            permanent_exclusions=perm,
            sen_joiners_no_move=joiners,
            notional_sen_budget=Decimal(notional),
        )
        schools[name] = school
    a1, a2, b1, b2 = (schools[k] for k in ("A1", "A2", "B1", "B2"))
    make_request(a1, "approved", "6000.00")
    make_request(a1, "partially_approved", "4000.00")
    make_request(a1, "declined", contribution="0")
    make_request(a2, "closed", "2000.00")
    make_request(a2, "withdrawn", contribution="0")
    make_request(b1, "active", "8000.00")
    make_request(b2, "submitted")
    make_request(a1, "approved", "9999.00", submitted=YEAR_BEFORE)
    make_request(b2, "draft")
    return {
        "district": district,
        "clusters": {"A": cluster_a, "B": cluster_b},
        "schools": schools,
    }


@pytest.fixture
def head_of_a1(small_county):
    return make_user(Role.HEADTEACHER, school=small_county["schools"]["A1"], username="head_a1")
