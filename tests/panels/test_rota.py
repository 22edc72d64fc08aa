"""The chair rota, as a pure function: fair, and never an absent, departed or non-head chair."""

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from panels.rota import HEADTEACHER, Candidate, assign_chairs, meeting_dates

YEAR_START = date(2026, 9, 1)
DAYS = 364
ROLES = [HEADTEACHER, HEADTEACHER, HEADTEACHER, "senco_rep", "educational_psychologist"]


@st.composite
def candidates(draw):
    n = draw(st.integers(min_value=0, max_value=8))
    found = []
    for i in range(n):
        role = draw(st.sampled_from(ROLES))
        start = YEAR_START + timedelta(days=draw(st.integers(-100, DAYS)))
        end = draw(st.one_of(st.none(), st.integers(0, DAYS + 100)))
        end = None if end is None else max(start, YEAR_START + timedelta(days=end))
        away = []
        for _ in range(draw(st.integers(0, 2))):
            a = YEAR_START + timedelta(days=draw(st.integers(0, DAYS)))
            away.append((a, a + timedelta(days=draw(st.integers(0, 60)))))
        found.append(Candidate(id=i, role=role, start=start, end=end, away=tuple(away)))
    return found


@st.composite
def years(draw):
    every = draw(st.integers(min_value=1, max_value=8))
    return meeting_dates(YEAR_START, every_weeks=every)


@settings(max_examples=300, deadline=None)
@given(people=candidates(), dates=years())
def test_the_chair_is_always_an_eligible_headteacher(people, dates):
    chairs = assign_chairs(dates, people)
    by_id = {c.id: c for c in people}
    for day, chair in zip(dates, chairs, strict=True):
        eligible = [c for c in people if c.eligible_on(day)]
        if chair is None:
            # Nobody chairs only when no headteacher could.
            assert eligible == []
            continue
        person = by_id[chair]
        assert person.role == HEADTEACHER
        assert person.start <= day and (person.end is None or day <= person.end)
        assert not any(a <= day <= b for a, b in person.away)


@settings(max_examples=300, deadline=None)
@given(people=candidates(), dates=years())
def test_heads_eligible_all_year_chair_within_one_of_each_other(people, dates):
    chairs = Counter(assign_chairs(dates, people))
    steady = [c.id for c in people if all(c.eligible_on(d) for d in dates)]
    counts = [chairs[i] for i in steady]
    if counts:
        assert max(counts) - min(counts) <= 1


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 8), every=st.integers(1, 6))
def test_a_stable_panel_shares_the_year_evenly(n, every):
    dates = meeting_dates(YEAR_START, every_weeks=every)
    people = [Candidate(id=i) for i in range(n)]
    counts = Counter(assign_chairs(dates, people))
    per_head = [counts[i] for i in range(n)]
    assert max(per_head) - min(per_head) <= 1
    assert sum(per_head) == len(dates)


def test_a_newcomer_takes_a_fair_share_not_a_run_of_meetings():
    dates = meeting_dates(YEAR_START, every_weeks=2)  # 27 meetings
    half = dates[len(dates) // 2]
    people = [Candidate(id="a"), Candidate(id="b"), Candidate(id="new", start=half)]
    chairs = assign_chairs(dates, people)
    after = chairs[len(dates) // 2 :]
    # Never twice in a row: the newcomer is not made to "catch up".
    assert all(not (x == y == "new") for x, y in zip(after, after[1:], strict=False))
    assert Counter(after)["new"] in (4, 5)


def test_fixed_meetings_are_kept_and_counted():
    dates = meeting_dates(YEAR_START, every_weeks=4)
    people = [Candidate(id="a"), Candidate(id="b")]
    chairs = assign_chairs(dates, people, fixed={0: "a", 1: "a"})
    assert chairs[:2] == ["a", "a"]
    assert chairs[2] == "b"
    counts = Counter(chairs)
    assert abs(counts["a"] - counts["b"]) <= 2


def test_meetings_move_off_weekends_and_bank_holidays():
    christmas = date(2026, 12, 25)
    days = meeting_dates(date(2026, 12, 25), every_weeks=4, closed_days={christmas})
    assert days[0] == date(2026, 12, 28)
    assert all(d.weekday() < 5 for d in days)
    assert len(days) == 13
