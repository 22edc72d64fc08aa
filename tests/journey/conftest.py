"""A small county for the cross-app journeys: two clusters, each with a panel of
headteachers and a meeting today, statistics for the allocation formula, and the
people who take part (SENCO, LA SEND and finance officers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from budgets.models import FinancialYear
from clusters.models import Cluster, Role, School
from funding.models import FundingStream
from panels.models import Meeting, Panel
from tests.factories import (
    ClusterFactory,
    FundingStreamFactory,
    SchoolFactory,
    SchoolYearStatsFactory,
    make_user,
)
from tests.panels.factories import build_panel, head_of_new_school, meeting_on


@dataclass
class County:
    north: Cluster
    south: Cluster
    ashfield: School  # the SENCO's school, in the north
    stream: FundingStream
    senco: object
    send_officer: object
    finance_officer: object
    chair: object  # chairs today's north meeting (first on the rota)
    heads: list  # the north panel's headteachers, chair first, Ashfield's head last
    north_panel: Panel
    south_panel: Panel
    north_meeting: Meeting
    south_meeting: Meeting
    next_north_meeting: Meeting


@pytest.fixture
def county(db) -> County:
    today = timezone.localdate()
    stats_year = FinancialYear.start_year_for(today)
    north, south = ClusterFactory(name="North Downs"), ClusterFactory(name="South Vale")
    ashfield = SchoolFactory(name="Ashfield Primary", cluster=north)
    brookside = SchoolFactory(name="Brookside Primary", cluster=south)
    # Need differs, so the formula gives the clusters different shares.
    SchoolYearStatsFactory(school=ashfield, academic_year=stats_year, number_on_roll=420,
                           fsm_pupils=63, sen_support_pupils=55)  # fmt: skip
    SchoolYearStatsFactory(school=brookside, academic_year=stats_year, number_on_roll=210,
                           fsm_pupils=20, sen_support_pupils=31)  # fmt: skip
    send_officer = make_user(Role.LA_SEND_OFFICER, username="send_officer")
    heads = [head_of_new_school(north, n) for n in ("chair_head", "head_d", "head_e")]
    heads.append(make_user(Role.HEADTEACHER, school=ashfield, username="head_ashfield"))
    south_heads = [head_of_new_school(south, n) for n in ("south_chair", "south_b", "south_c")]
    north_panel = build_panel(north, send_officer, heads, extra_members=1)
    south_panel = build_panel(south, send_officer, south_heads)
    north_meeting = meeting_on(north_panel, today)
    return County(
        north=north,
        south=south,
        ashfield=ashfield,
        stream=FundingStreamFactory(),
        senco=make_user(Role.SENCO, school=ashfield, username="senco_ashfield"),
        send_officer=send_officer,
        finance_officer=make_user(Role.LA_FINANCE_OFFICER, username="finance_officer"),
        chair=heads[0],
        heads=heads,
        north_panel=north_panel,
        south_panel=south_panel,
        north_meeting=north_meeting,
        # The south's meeting is today too: scheduling must still pick the north's.
        south_meeting=meeting_on(south_panel, today),
        next_north_meeting=meeting_on(
            north_panel, today + timedelta(days=28), closing=today + timedelta(days=18)
        ),
    )


@pytest.fixture
def login(password):
    """A test client signed in as ``user`` through the sign-in page's backend."""

    def _login(user) -> Client:
        client = Client()
        assert client.login(username=user.username, password=password)
        return client

    return _login


class Clock:
    """Moves "today" for the whole portal: the daily tasks and the payment run read it."""

    def __init__(self, real):
        self._real = real
        self.offset = timedelta(0)

    def move_to(self, day: date) -> None:
        self.offset = day - self._real()

    def localdate(self, value=None, timezone=None):
        if value is None:
            return self._real() + self.offset
        return self._real(value, timezone)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock(timezone.localdate)
    monkeypatch.setattr(timezone, "localdate", c.localdate)
    return c
