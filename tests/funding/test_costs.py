"""Real costs: a provision line is staffing (hours × weeks × the rate card's rate) or
another cost with its amount; lines can be changed; a rate off the card needs a reason;
a step that breaks one of the stream's rules needs attention rather than being done."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from funding import rules, services
from funding.models import FundingRequest, ProvisionLine, RateCardEntry
from funding.services import EditError

from .factories import draft_request
from .helpers import text

TODAY = timezone.localdate


@pytest.fixture
def card(send_officer):
    """The LA's rates for the year the factory's requests start in."""
    year = rules.financial_year(TODAY() + timedelta(days=45))
    return {
        role: services.save_rate(user=send_officer, role=role, year=year, hourly_rate=rate)
        for role, rate in [
            ("Teaching assistant", Decimal("15.50")),
            ("HLTA", Decimal("18.75")),
            ("Specialist teacher", Decimal("42.00")),
        ]
    }


def lines(fr) -> list[ProvisionLine]:
    return list(ProvisionLine.objects.filter(request=fr).order_by("order"))


def add_staffing(client, fr, **fields):
    data = {"line-description": "1:1 support in class", "line-hours_per_week": "10",
            "line-weeks": "30", "add_line": "1"}  # fmt: skip
    data.update({f"line-{k}": v for k, v in fields.items()})
    return client.post(reverse("funding:provision", args=[fr.pk]), data)


def add_cost(client, fr, **fields):
    data = {"cost-kind": "equipment", "cost-description": "Writing slope and pencil grips",
            "cost-amount": "86.40", "add_cost": "1"}  # fmt: skip
    data.update({f"cost-{k}": v for k, v in fields.items()})
    return client.post(reverse("funding:provision", args=[fr.pk]), data)


# --- Staffing from the rate card ---------------------------------------------------------


def test_the_senco_picks_a_role_on_the_card_and_its_rate_is_used(senco_a, stream, login, card):
    fr = draft_request(senco_a, evidence=False)
    client = login(senco_a)
    page = client.get(reverse("funding:provision", args=[fr.pk]))
    assert "Teaching assistant: £15.50 an hour" in text(page)

    response = add_staffing(client, fr, rate_card=card["Teaching assistant"].pk)
    assert response.status_code == 302
    (line,) = lines(fr)
    assert (line.hourly_rate, line.card_rate, line.rate_reason) == (Decimal("15.50"),) * 2 + ("",)
    assert line.cost == Decimal("4650.00")
    fr.refresh_from_db()
    assert fr.total_cost == Decimal("4650.00")


def test_a_rate_off_the_card_without_a_reason_is_refused_and_nothing_is_saved(
    senco_a, stream, login, card
):
    fr = draft_request(senco_a, evidence=False)
    client = login(senco_a)
    response = add_staffing(client, fr, rate_card=card["HLTA"].pk, hourly_rate="21.00")
    assert response.status_code == 400
    assert "Say why the rate is not the rate card&#x27;s £18.75 an hour for hlta" in text(response)
    assert "govuk-error-summary" in text(response)
    # Another role, not on the card, needs its reason too.
    response = add_staffing(client, fr, hourly_rate="30.00")
    assert "Say why this role is not on the LA&#x27;s rate card" in text(response)
    assert lines(fr) == []

    # The service refuses it as well, whoever calls it.
    with pytest.raises(EditError, match="Say why the rate is not the rate card"):
        services.save_provision_line(
            fr, user=senco_a, kind="staffing", description="HLTA", hours_per_week=Decimal(5),
            weeks=Decimal(10), hourly_rate=Decimal("21.00"), rate_card=card["HLTA"],
        )  # fmt: skip
    assert lines(fr) == []

    response = add_staffing(
        client, fr, rate_card=card["HLTA"].pk, hourly_rate="21.00",
        rate_reason="HLTA with a Level 3 BSL qualification",
    )  # fmt: skip
    assert response.status_code == 302
    (line,) = lines(fr)
    assert line.off_card and line.card_rate == Decimal("18.75")
    page = text(client.get(reverse("funding:provision", args=[fr.pk])))
    assert "Not the rate card's £18.75 an hour" in page
    assert "HLTA with a Level 3 BSL qualification" in page


def test_the_database_refuses_a_rate_off_the_card_with_no_reason(senco_a, stream, card):
    fr = draft_request(senco_a, evidence=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProvisionLine.objects.create(
            request=fr, description="TA", hours_per_week=1, weeks=1, hourly_rate=20,
            rate_card=card["Teaching assistant"], card_rate=Decimal("15.50"),
        )  # fmt: skip


def test_with_no_card_for_the_year_the_school_types_its_own_rate(senco_a, stream, login):
    fr = draft_request(senco_a, evidence=False)
    client = login(senco_a)
    page = text(client.get(reverse("funding:provision", args=[fr.pk])))
    assert "Role on the LA" not in page
    assert add_staffing(client, fr, hourly_rate="22.50").status_code == 302
    assert lines(fr)[0].hourly_rate == Decimal("22.50")


# --- Other costs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, label",
    [("equipment", "Equipment or resources"), ("training", "Training or CPD"),
     ("service", "A service bought in"), ("capital", "Small capital item")],
)  # fmt: skip
def test_a_line_can_be_another_kind_of_cost_with_its_amount(senco_a, stream, login, kind, label):
    fr = draft_request(senco_a)  # the factory's staffing line: £7,500.00
    client = login(senco_a)
    response = add_cost(client, fr, kind=kind, note="Quote from the supplier attached")
    assert response.status_code == 302
    fr.refresh_from_db()
    assert fr.total_cost == Decimal("7586.40")
    page = text(client.get(reverse("funding:provision", args=[fr.pk])))
    assert label in page and "Quote from the supplier attached" in page


def test_a_non_staffing_line_with_hours_is_refused(senco_a, stream):
    fr = draft_request(senco_a, evidence=False)
    with pytest.raises(EditError, match="Only a staffing line has hours a week") as refused:
        services.save_provision_line(
            fr, user=senco_a, kind="equipment", description="iPad", amount=Decimal("329"),
            hours_per_week=Decimal("3"),
        )  # fmt: skip
    assert refused.value.field == "hours_per_week"
    with pytest.raises(EditError, match="leave the amount empty"):
        services.save_provision_line(
            fr, user=senco_a, kind="staffing", description="TA", hours_per_week=Decimal(3),
            weeks=Decimal(10), hourly_rate=Decimal(15), amount=Decimal("100"),
        )  # fmt: skip
    assert lines(fr) == []
    # Nor can anything write one underneath the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        ProvisionLine.objects.create(
            request=fr, kind="equipment", description="iPad", amount=329, hours_per_week=3
        )


@pytest.mark.parametrize(
    "amount, message",
    [("", "Enter the amount, like 350.00"),
     ("0", "The amount must be between £0.01 and £100,000.00"),
     ("-5", "The amount must be between £0.01 and £100,000.00"),
     ("lots", "Enter the amount as an amount of money, like 350.00"),
     ("1e3", "Enter the amount as an amount of money"),
     ("NaN", "Enter the amount as an amount of money"),
     ("1,20,0", "Enter the amount as an amount of money"),
     ("12.345", "Enter the amount in pounds and pence, like 350.00"),
     ("£100,000.01", "The amount must be between £0.01 and £100,000.00")],
)  # fmt: skip
def test_an_amount_of_an_odd_shape_is_refused_in_plain_english(
    senco_a, stream, login, amount, message
):
    fr = draft_request(senco_a, evidence=False)
    response = add_cost(login(senco_a), fr, amount=amount)
    assert response.status_code == 400
    assert message in text(response)
    assert lines(fr) == []


# --- Changing a line ---------------------------------------------------------------------


def test_the_senco_changes_a_line_and_the_totals_follow(senco_a, stream, login):
    fr = draft_request(senco_a)
    (line,) = lines(fr)
    client = login(senco_a)
    url = reverse("funding:edit_line", args=[fr.pk, line.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'value="10.00"' in text(page)
    bad = client.post(url, {"description": "TA", "hours_per_week": "0", "weeks": "30",
                            "hourly_rate": "25"})  # fmt: skip
    assert bad.status_code == 400 and "Hours a week must be more than 0" in text(bad)
    response = client.post(
        url, {"description": "TA 1:1", "hours_per_week": "12", "weeks": "30", "hourly_rate": "25"}
    )
    assert response.status_code == 302
    fr.refresh_from_db()
    assert fr.total_cost == Decimal("9000.00")
    assert lines(fr)[0].description == "TA 1:1"

    add_cost(client, fr)
    cost = lines(fr)[1]
    response = client.post(
        reverse("funding:edit_line", args=[fr.pk, cost.pk]),
        {"kind": "training", "description": "Makaton course", "amount": "120.00"},
    )
    assert response.status_code == 302
    cost.refresh_from_db()
    assert (cost.kind, cost.amount) == ("training", Decimal("120.00"))


def test_another_schools_line_is_not_found(senco_a, senco_b, stream, login):
    fr = draft_request(senco_a)
    other = draft_request(senco_b)
    url = reverse("funding:edit_line", args=[fr.pk, lines(other)[0].pk])
    assert login(senco_a).get(url).status_code == 404
    assert (
        login(senco_b).get(reverse("funding:edit_line", args=[fr.pk, lines(fr)[0].pk])).status_code
        == 404
    )


# --- Needs attention ------------------------------------------------------------------


def test_a_step_that_breaks_a_stream_rule_needs_attention_rather_than_being_completed(
    senco_a, stream, login
):
    fr = draft_request(senco_a)
    client = login(senco_a)
    tasks = reverse("funding:tasks", args=[fr.pk])
    page = text(client.get(tasks))
    assert "Needs attention" not in page

    # Far over the cap: the provision step is not "Completed".
    services.save_provision_line(
        fr, user=senco_a, kind="service", description="Outreach from the special school",
        amount=Decimal("40000"),
    )  # fmt: skip
    page = text(client.get(tasks))
    assert (
        'data-testid="task-provision-attention">The amount requested (£41,500.00) is more '
        "than the Exceptional Needs Grant maximum of £15,000.00." in page
    )
    status = page.split('id="task-provision-status">')[1].split("</div>")[0]
    assert "Needs attention" in status and "Completed" not in status

    # A year group the stream is not open to: the pupil step needs attention.
    stream.eligible_phases = ["secondary"]
    stream.save()
    FundingRequest.objects.filter(pk=fr.pk).update(year_group="4")
    by_section = rules.stream_rule_problems_by_section(FundingRequest.objects.get(pk=fr.pk))
    assert by_section["pupil"] == ["Exceptional Needs Grant is not open to pupils in Year 4"]


# --- The rate card --------------------------------------------------------------------


def test_an_la_officer_keeps_the_rate_card_on_a_portal_page(
    send_officer, finance_officer, senco_a, login
):
    client = login(finance_officer)
    assert client.get(reverse("funding:rate_card")).status_code == 200
    response = client.post(
        reverse("funding:rate_new"),
        {"role": "Teaching assistant", "year": "2026", "hourly_rate": "15.50"},  # fmt: skip
    )
    assert response.status_code == 302
    entry = RateCardEntry.objects.get()
    page = text(client.get(reverse("funding:rate_card")))
    assert "April 2026 to March 2027" in page and "£15.50" in page

    again = client.post(
        reverse("funding:rate_new"),
        {"role": "teaching assistant", "year": "2026", "hourly_rate": "16"},  # fmt: skip
    )
    assert again.status_code == 400 and "already has a rate for teaching assistant" in text(again)
    for bad, message in [({"hourly_rate": "0"}, "must be between £0.01 and £500.00"),
                         ({"hourly_rate": "fifteen"}, "Enter the hourly rate as an amount"),
                         ({"hourly_rate": ""}, "Enter the hourly rate"),
                         ({"year": "26"}, "like 2026"), ({"role": ""}, "Enter the role")]:  # fmt: skip
        data = {"role": "HLTA", "year": "2026", "hourly_rate": "18", **bad}
        response = client.post(reverse("funding:rate_new"), data)
        assert response.status_code == 400 and message in text(response), bad

    changed = login(send_officer).post(
        reverse("funding:rate_edit", args=[entry.pk]),
        {"role": "Teaching assistant", "year": "2026", "hourly_rate": "15.90"},
    )
    assert changed.status_code == 302
    entry.refresh_from_db()
    assert entry.hourly_rate == Decimal("15.90") and entry.updated_by == send_officer

    school = login(senco_a)
    assert school.get(reverse("funding:rate_card")).status_code == 404
    assert school.post(reverse("funding:rate_edit", args=[entry.pk]), {}).status_code == 404
    with pytest.raises(EditError, match="Only LA officers"):
        services.save_rate(user=senco_a, role="TA", year=2026, hourly_rate=Decimal(1))


def test_a_change_to_the_card_does_not_change_lines_already_costed(
    senco_a, send_officer, stream, card
):
    fr = draft_request(senco_a, evidence=False)
    line = services.save_provision_line(
        fr, user=senco_a, kind="staffing", description="TA", hours_per_week=Decimal(10),
        weeks=Decimal(30), rate_card=card["Teaching assistant"],
    )  # fmt: skip
    entry = card["Teaching assistant"]
    services.save_rate(user=send_officer, entry=entry, role=entry.role, year=entry.year,
                       hourly_rate=Decimal("16.20"))  # fmt: skip
    line.refresh_from_db()
    assert (line.hourly_rate, line.card_rate) == (Decimal("15.50"), Decimal("15.50"))
