"""The LA SEND officer enters the LA's own term dates for an academic year on a portal
page (or through the API); from then on that year's payments fall due on its term days
and panel meetings keep out of its half-terms and holidays. Dates that overlap or run
backwards are refused in words, and nothing changes."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from rest_framework.test import APIClient

from budgets import services
from budgets.models import TermDates
from budgets.terms import TermCalendar, instalment_plan
from panels.calendar import why_closed
from tests.text import has_word

pytestmark = pytest.mark.django_db
API = "/api/v1/term-dates/"

# 2027/28 as an LA might set it: October half term a week before the usual one, and the
# summer term starting the Tuesday after Easter Monday rather than a week later.
YEAR_2027 = {
    "autumn_first": date(2027, 9, 2),
    "autumn_half_first": date(2027, 10, 18),
    "autumn_half_last": date(2027, 10, 22),
    "autumn_last": date(2027, 12, 17),
    "spring_first": date(2028, 1, 4),
    "spring_half_first": date(2028, 2, 14),
    "spring_half_last": date(2028, 2, 18),
    "spring_last": date(2028, 3, 31),
    "summer_first": date(2028, 4, 18),
    "summer_half_first": date(2028, 5, 29),
    "summer_half_last": date(2028, 6, 2),
    "summer_last": date(2028, 7, 21),
}


def posted(days: dict, **changes) -> dict:
    """The page's date inputs (day, month, year) for each date."""
    data = {}
    for name, day in {**days, **changes}.items():
        if name == "academic_year":
            data[name] = str(day)
            continue
        data[f"{name}_0"], data[f"{name}_1"], data[f"{name}_2"] = (
            (str(day.day), str(day.month), str(day.year)) if day else ("", "", "")
        )
    return data


def page_text(response) -> str:
    """The page's words, without its markup, spaces collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_officer_enters_a_years_dates_and_payments_and_meetings_follow_them(
    send_officer, client
):
    client.force_login(send_officer)
    before = page_text(client.get(reverse("budgets:term_dates")))
    assert "Enter a year's term dates" in before

    response = client.post(reverse("budgets:term_dates_new"), posted(YEAR_2027, academic_year=2027))

    assert response.status_code == 302, page_text(response)[:2000]
    saved = TermDates.objects.get(academic_year=2027)
    assert saved.updated_by == send_officer
    assert LogEntry.objects.get_for_object(saved).get().actor == send_officer
    page = page_text(client.get(reverse("budgets:term_dates")))
    assert "2027/28 Entered" in page
    assert "Thursday 2 September 2027" in page and "18 October to 22 October 2027" in page

    # An award running through the year is paid on the LA's own term days.
    plan = instalment_plan(Decimal("1000.00"), date(2027, 10, 1), date(2028, 7, 21))
    assert plan == [
        (date(2027, 10, 1), "Autumn 2027", Decimal("333.34")),
        (date(2028, 1, 4), "Spring 2028", Decimal("333.33")),
        (date(2028, 4, 18), "Summer 2028", Decimal("333.33")),
    ]
    # Meetings keep out of the entered half-term, and may sit in the week the usual
    # pattern would have called half term, or on the entered summer term's first days.
    assert why_closed(date(2027, 10, 19)) == "in the school holidays (October half term)"
    assert why_closed(date(2027, 10, 26)) is None
    assert why_closed(date(2028, 4, 19)) is None
    assert why_closed(date(2027, 12, 20)) == "in the school holidays (Christmas holidays)"
    assert why_closed(date(2028, 7, 24)) == "in the school holidays (Summer holidays)"


def test_a_year_not_entered_keeps_the_usual_pattern_beside_one_that_is(send_officer):
    services.save_term_dates(user=send_officer, academic_year=2027, **YEAR_2027)
    calendar = TermCalendar.load()

    starts = dict((name, day) for day, name in calendar.term_starts(2027, 2028))

    # Spring and summer 2027 belong to 2026/27, not entered: the usual first working days.
    assert starts["Spring 2027"] == date(2027, 1, 5)
    assert starts["Autumn 2027"] == date(2027, 9, 2)
    # The usual summer holiday of 2026/27 runs up to the entered autumn term.
    summer = [h for h in calendar.school_holidays(2027, 2027) if h[2] == "Summer holidays"]
    assert summer[0][:2] == (date(2027, 7, 22), date(2027, 9, 1))


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"autumn_half_first": date(2027, 8, 30)},
            "First day of the October half term must be after the first day of the autumn "
            "term (2 September 2027)",
        ),
        (
            {"spring_first": date(2027, 12, 14)},
            "First day of the spring term must be after the last day of the autumn term",
        ),
        ({"autumn_first": date(2027, 9, 4)}, "is a Saturday: choose a weekday"),
        ({"autumn_first": date(2026, 9, 3)}, "must start in August, September or October 2027"),
        ({"summer_last": None}, "Enter the last day of the summer term"),
    ],
)
def test_dates_that_run_backwards_or_make_no_sense_are_refused_and_nothing_is_saved(
    send_officer, client, changes, message
):
    client.force_login(send_officer)
    response = client.post(
        reverse("budgets:term_dates_new"), posted(YEAR_2027, academic_year=2027, **changes)
    )

    assert response.status_code == 400
    assert message in page_text(response)
    assert not TermDates.objects.exists()


def a_year_later(days: dict) -> dict:
    """The same term dates 52 weeks on: the same weekdays, the next academic year."""
    return {name: day + timedelta(weeks=52) for name, day in days.items()}


def test_a_year_that_starts_before_the_year_before_ends_is_refused(send_officer):
    # 2027/28's summer term runs into August (some LAs' terms do).
    services.save_term_dates(
        user=send_officer, academic_year=2027, **(YEAR_2027 | {"summer_last": date(2028, 8, 11)})
    )
    overlapping = a_year_later(YEAR_2027) | {"autumn_first": date(2028, 8, 10)}

    with pytest.raises(services.BudgetError) as refused:
        services.save_term_dates(user=send_officer, academic_year=2028, **overlapping)

    assert refused.value.message == (
        "The autumn term must start after the summer term of 2027/28 ends (11 August 2028)."
    )
    assert refused.value.field == "autumn_first"
    assert not TermDates.objects.filter(academic_year=2028).exists()


def test_a_summer_term_running_into_the_next_years_autumn_is_refused(send_officer):
    later = a_year_later(YEAR_2027) | {"autumn_first": date(2028, 8, 1)}
    services.save_term_dates(user=send_officer, academic_year=2028, **later)
    year = {**YEAR_2027, "summer_last": date(2028, 8, 2)}

    with pytest.raises(services.BudgetError) as refused:
        services.save_term_dates(user=send_officer, academic_year=2027, **year)

    assert refused.value.message == (
        "The summer term must end before the autumn term of 2028/29 starts (1 August 2028)."
    )
    assert not TermDates.objects.filter(academic_year=2027).exists()


def test_entering_a_year_twice_is_refused(send_officer, client):
    services.save_term_dates(user=send_officer, academic_year=2027, **YEAR_2027)
    client.force_login(send_officer)

    again = client.post(reverse("budgets:term_dates_new"), posted(YEAR_2027, academic_year=2027))

    assert again.status_code == 400
    assert "The term dates for 2027/28 are already entered: change them instead" in page_text(again)


def test_a_change_based_on_an_old_copy_is_refused_with_both_dates_shown(send_officer, client):
    saved = services.save_term_dates(user=send_officer, academic_year=2027, **YEAR_2027)
    client.force_login(send_officer)
    url = reverse("budgets:term_dates_edit", args=[2027])
    read = saved.version
    services.save_term_dates(
        user=send_officer, term_dates=saved, academic_year=2027, version=read,
        **(YEAR_2027 | {"autumn_last": date(2027, 12, 16)}),
    )  # fmt: skip

    stale = client.post(url, {**posted(YEAR_2027, autumn_last=date(2027, 12, 15)), "version": read})

    assert stale.status_code == 409
    words = page_text(stale)
    assert "15 December 2027" in words and "16 December 2027" in words
    assert TermDates.objects.get().autumn_last == date(2027, 12, 16)


def test_who_may_read_and_change_the_term_dates(send_officer, finance_officer, senco_a, client):
    client.force_login(finance_officer)
    assert client.get(reverse("budgets:term_dates")).status_code == 200
    assert client.get(reverse("budgets:term_dates_new")).status_code == 404
    client.force_login(senco_a)
    assert client.get(reverse("budgets:term_dates")).status_code == 404

    assert api(senco_a).get(API).status_code == 200
    body = {"academic_year": 2027, **{k: v.isoformat() for k, v in YEAR_2027.items()}}
    assert api(senco_a).post(API, body, format="json").status_code == 403
    assert not TermDates.objects.exists()


def test_through_the_api_the_officer_enters_and_changes_a_year(send_officer, senco_a):
    body = {"academic_year": 2027, **{k: v.isoformat() for k, v in YEAR_2027.items()}}

    created = api(send_officer).post(API, body, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["label"] == "2027/28" and created.json()["version"] == 1
    read = api(senco_a).get(f"{API}2027/").json()
    assert read["autumn_half_first"] == "2027-10-18"

    backwards = api(send_officer).patch(f"{API}2027/", {"spring_last": "2028-02-01"}, format="json")
    assert backwards.status_code == 400
    assert has_word(backwards.content.decode(), "Last day of the spring term must be after")

    moved = api(send_officer).patch(
        f"{API}2027/", {"summer_last": "2028-07-20", "version": 1}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = api(send_officer).patch(
        f"{API}2027/", {"summer_last": "2028-07-19", "version": 1}, format="json"
    )
    assert stale.status_code == 409
    assert TermDates.objects.get().summer_last == date(2028, 7, 20)
