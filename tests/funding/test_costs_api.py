"""Real costs through the API: the same kinds of line, the same rate card, the same rules."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from funding import rules, services
from funding.models import ProvisionLine, RateCardEntry

from .factories import draft_request

URL = "/api/v1/requests/"
CARD = "/api/v1/rate-card/"


@pytest.fixture
def api():
    def _api(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _api


@pytest.fixture
def ta_rate(send_officer):
    year = rules.financial_year(timezone.localdate() + timedelta(days=45))
    return services.save_rate(
        user=send_officer, role="Teaching assistant", year=year, hourly_rate=Decimal("15.50")
    )


def patch_lines(client, fr, lines):
    return client.patch(f"{URL}{fr.pk}/", {"provision_lines": lines}, format="json")


def test_a_draft_is_costed_with_each_kind_of_line_and_the_card_fills_the_rate(
    senco_a, stream, api, ta_rate
):
    fr = draft_request(senco_a, evidence=False)
    response = patch_lines(
        api(senco_a),
        fr,
        [
            {
                "description": "TA 1:1",
                "hours_per_week": "10",
                "weeks": "30",
                "rate_card": ta_rate.pk,
            },
            {
                "kind": "equipment",
                "description": "Writing slope",
                "amount": "86.40",
                "note": "From the school's usual supplier",
            },
            {"kind": "training", "description": "Makaton", "amount": "120"},
            {"kind": "service", "description": "Outreach", "amount": "900"},
            {"kind": "capital", "description": "Hoist", "amount": "1500"},
        ],  # fmt: skip
    )
    assert response.status_code == 200, response.data
    staffing = response.data["provision_lines"][0]
    assert staffing["hourly_rate"] == "15.50" and staffing["card_rate"] == "15.50"
    assert staffing["cost"] == "4650.00"
    assert [line["kind"] for line in response.data["provision_lines"]] == [
        "staffing", "equipment", "training", "service", "capital",
    ]  # fmt: skip
    assert response.data["total_cost"] == "7256.40"


@pytest.mark.parametrize(
    "line, field, message",
    [
        ({"kind": "equipment", "description": "iPad", "amount": "329", "hours_per_week": "3"},
         "hours_per_week", "Only a staffing line has hours a week"),
        ({"kind": "equipment", "description": "iPad"}, "amount", "Enter the amount"),
        ({"description": "TA", "hours_per_week": "3", "weeks": "10", "hourly_rate": "15",
          "amount": "10"}, "amount", "leave the amount empty"),
        ({"description": "TA", "hours_per_week": "3", "weeks": "10"}, "hourly_rate",
         "Enter the hourly rate"),
        ({"description": "TA", "hours_per_week": "0", "weeks": "10", "hourly_rate": "15"},
         "hours_per_week", "more than 0"),
        ({"kind": "bribe", "description": "x", "amount": "5"}, "kind", None),
    ],
)  # fmt: skip
def test_a_line_of_the_wrong_shape_is_refused_field_by_field(
    senco_a, stream, api, line, field, message
):
    fr = draft_request(senco_a)
    response = patch_lines(api(senco_a), fr, [line])
    assert response.status_code == 400
    errors = response.data["provision_lines"][0]
    assert field in errors
    if message:
        assert message in str(errors[field][0])
    assert ProvisionLine.objects.filter(request=fr).count() == 1  # the factory's, unchanged


def test_a_rate_off_the_card_needs_a_reason_on_the_api_too(senco_a, stream, api, ta_rate):
    fr = draft_request(senco_a, evidence=False)
    client = api(senco_a)
    line = {"description": "TA", "hours_per_week": "10", "weeks": "30", "hourly_rate": "17.00",
            "rate_card": ta_rate.pk}  # fmt: skip
    refused = patch_lines(client, fr, [line])
    assert refused.status_code == 400
    assert refused.data["detail"] == (
        "Provision line 1: Say why the rate is not the rate card's £15.50 an hour for "
        "teaching assistant."
    )
    assert not ProvisionLine.objects.filter(request=fr).exists()
    saved = patch_lines(client, fr, [{**line, "rate_reason": "Experienced in signing"}])
    assert saved.status_code == 200
    assert saved.data["provision_lines"][0]["rate_reason"] == "Experienced in signing"


def test_the_rate_card_is_read_by_all_and_changed_by_la_officers_only(
    senco_a, finance_officer, api, ta_rate
):
    school = api(senco_a)
    listed = school.get(CARD)
    assert listed.status_code == 200
    assert listed.data["results"][0]["role"] == "Teaching assistant"
    assert school.post(CARD, {"role": "HLTA", "year": 2026, "hourly_rate": "18"}).status_code == 403
    assert school.patch(f"{CARD}{ta_rate.pk}/", {"hourly_rate": "99"}).status_code == 403
    ta_rate.refresh_from_db()
    assert ta_rate.hourly_rate == Decimal("15.50")

    la = api(finance_officer)
    made = la.post(CARD, {"role": "HLTA", "year": 2026, "hourly_rate": "18.75"}, format="json")
    assert made.status_code == 201, made.data
    changed = la.patch(f"{CARD}{ta_rate.pk}/", {"hourly_rate": "15.90"}, format="json")
    assert changed.status_code == 200 and changed.data["hourly_rate"] == "15.90"
    clash = la.post(CARD, {"role": "hlta", "year": 2026, "hourly_rate": "19"}, format="json")
    assert clash.status_code == 400 and "already has a rate for hlta" in clash.data["detail"]
    for bad in ({"hourly_rate": "0"}, {"hourly_rate": "abc"}, {"year": 26}, {"role": ""}):
        response = la.post(CARD, {"role": "SpLD teacher", "year": 2026, "hourly_rate": "40",
                                  **bad}, format="json")  # fmt: skip
        assert response.status_code == 400, bad
    assert RateCardEntry.objects.count() == 2
