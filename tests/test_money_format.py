"""Money is written one way everywhere: to the penny, thousands separated, −£ for money owed."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from portal.money import format_gbp


@pytest.mark.parametrize(
    "amount, shown",
    [
        (Decimal("1234.5"), "£1,234.50"),
        (Decimal("6000"), "£6,000.00"),
        (Decimal("1234.56"), "£1,234.56"),  # never rounded to whole pounds
        (Decimal("0.005"), "£0.01"),
        (Decimal("-80"), "−£80.00"),
        (Decimal("-0.00"), "£0.00"),
        ("12000.00", "£12,000.00"),
        (7, "£7.00"),
    ],
)
def test_one_function_formats_money(amount, shown):
    assert format_gbp(amount) == shown


def test_every_template_has_the_one_filter_without_loading_it():
    page = Template("{{ a|gbp }} {{ b|gbp }} {{ c|gbp }}").render(
        Context({"a": Decimal("1234.56"), "b": None, "c": "-3"})
    )

    assert page == "£1,234.56 – −£3.00"


def test_reports_write_money_with_the_same_function():
    from reports.formatting import format_value

    assert format_value(Decimal("-80.5"), "money") == format_gbp(Decimal("-80.5"))


def test_no_template_formats_money_any_other_way():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "templates"
    offenders = [
        f"{path.relative_to(root)}: {line.strip()[:80]}"
        for path in root.rglob("*.html")
        for line in path.read_text().splitlines()
        if "£{{" in line and "|floatformat:4" not in line  # the allocation's exact workings
    ]
    assert not offenders, "write {{ amount|gbp }} instead:\n" + "\n".join(offenders)
