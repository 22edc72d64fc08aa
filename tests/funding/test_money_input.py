"""Money is read as people type it ("£1,200.50", "1200.5") and nonsense is refused in words
that name the amount, on the pages and through the API alike."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from funding.models import ProvisionLine
from portal.fields import ApiMoneyField, MoneyField
from portal.money import MoneyError, parse_gbp

from .factories import draft_request


@pytest.mark.parametrize(
    "typed, amount",
    [
        ("£1,200.50", "1200.50"),
        ("1200.5", "1200.50"),
        ("1,200", "1200.00"),
        (" £15.50 ", "15.50"),
        ("£ 15", "15.00"),
        ("0.5", "0.50"),
        (".75", "0.75"),
        ("1,234,567.89", "1234567.89"),
        ("15.50\N{NO-BREAK SPACE}", "15.50"),
        (12, "12.00"),
        (Decimal("3.1"), "3.10"),
    ],
)
def test_money_typed_the_usual_ways_is_read(typed, amount):
    assert parse_gbp(typed) == Decimal(amount)


@pytest.mark.parametrize(
    "typed, code",
    [
        ("12.345", "pence"),
        ("1,20,0", "invalid"),
        ("1,2000", "invalid"),
        ("£-5", "negative"),
        ("-5", "negative"),
        ("abc", "invalid"),
        ("1e3", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        ("", "invalid"),
        ("£", "invalid"),
        ("1.", "invalid"),
        ("12.3.4", "invalid"),
        ("+5", "invalid"),
        ("0x10", "invalid"),
        ("1 200", "invalid"),
        ("--5", "invalid"),
        ("１２", "invalid"),  # full-width digits are not what a keyboard gives for money
        (True, "invalid"),
        (None, "invalid"),
    ],
)
def test_nonsense_is_not_money(typed, code):
    with pytest.raises(MoneyError) as refused:
        parse_gbp(typed)
    assert refused.value.code == code


def test_money_owed_is_read_only_where_an_amount_may_be_negative():
    assert parse_gbp("-£80", allow_negative=True) == Decimal("-80.00")
    assert parse_gbp("\N{MINUS SIGN}£80.00", allow_negative=True) == Decimal("-80.00")


@pytest.mark.parametrize(
    "typed, message",
    [
        ("abc", "Enter the hourly rate as an amount of money, like 15.50"),
        ("1e3", "Enter the hourly rate as an amount of money, like 15.50"),
        ("12.345", "Enter the hourly rate in pounds and pence, like 15.50"),
        ("£-5", "The hourly rate must be between £0.00 and £500.00"),
        ("£600", "The hourly rate must be between £0.00 and £500.00"),
        ("", "Enter the hourly rate"),
    ],
)
def test_the_form_and_the_api_refuse_in_the_same_words(typed, message):
    form_field = MoneyField(label="Rate (£ an hour)", name="the hourly rate", example="15.50",
                            max_value=500)  # fmt: skip
    api_field = ApiMoneyField(name="the hourly rate", example="15.50", max_value=500)
    with pytest.raises(Exception) as on_page:
        form_field.clean(typed)
    with pytest.raises(Exception) as on_api:
        api_field.run_validation(typed)
    assert on_page.value.messages == [message]
    assert [str(m) for m in on_api.value.detail] == [message]


def test_a_budget_adjustment_may_take_money_away():
    field = MoneyField(label="Amount (£)", name="the amount", allow_negative=True, max_digits=14)
    assert field.clean("-£1,000") == Decimal("-1000.00")


def test_the_senco_types_the_rate_with_a_pound_sign(senco_a, stream, login):
    fr = draft_request(senco_a)
    client = login(senco_a)
    url = reverse("funding:provision", args=[fr.pk])
    response = client.post(
        url,
        {"line-description": "Teaching assistant", "line-hours_per_week": "10",
         "line-weeks": "30", "line-hourly_rate": " £15.50 ", "add_line": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ProvisionLine.objects.filter(request=fr, hourly_rate=Decimal("15.50")).exists()
    response = client.post(
        url,
        {"line-description": "Teaching assistant", "line-hours_per_week": "10",
         "line-weeks": "30", "line-hourly_rate": "12.345", "add_line": "1"},
    )  # fmt: skip
    page = response.content.decode()
    assert "Enter the hourly rate in pounds and pence, like 15.50" in page
    assert 'href="#id_line-hourly_rate"' in page  # the error summary links to the field


@pytest.mark.parametrize(
    "rate, status, answer",
    [
        (" £15.50 ", 201, "15.50"),
        (22.5, 201, "22.50"),
        ("NaN", 400, ["Enter the hourly rate as an amount of money, like 15.50"]),
        ("£1,200.50", 400, ["The hourly rate must be between £0.00 and £500.00"]),
    ],
)
def test_the_api_reads_money_as_a_string_or_a_number(senco_a, stream, rate, status, answer):
    api = APIClient()
    api.force_authenticate(senco_a)
    line = {"description": "TA", "hours_per_week": "10", "weeks": "30", "hourly_rate": rate}
    response = api.post(
        "/api/v1/requests/", {"stream": stream.pk, "provision_lines": [line]}, format="json"
    )
    assert response.status_code == status, response.data
    assert response.data["provision_lines"][0]["hourly_rate"] == answer
