"""Money as people type it, in a form or the API: one field, one parser, one set of words.

Both fields read with :func:`portal.money.parse_gbp` ("£1,200.50", "1200.5", "1,200")
and refuse in the GOV.UK style, naming the amount: "Enter the hourly rate, like
15.50". Neither lets Django's or DRF's own messages ("Enter a number.") through.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from rest_framework import serializers

from .money import MoneyError, format_gbp, parse_gbp


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class MoneyMessages:
    """The words and limits for one amount, e.g. ``name="the hourly rate"``."""

    def __init__(
        self,
        name: str,
        *,
        example: str,
        min_value: Decimal | int | None,
        max_value: Decimal | int | None,
        max_digits: int,
        allow_negative: bool,
    ):
        self.name, self.example, self.allow_negative = name, example, allow_negative
        # The largest amount the column holds, e.g. 12 digits → 9,999,999,999.99.
        ceiling = Decimal("9" * (max_digits - 2) + ".99")
        self.stated_max = max_value is not None
        self.max_value = min(Decimal(max_value), ceiling) if max_value is not None else ceiling
        if min_value is not None:
            self.min_value = Decimal(min_value)
        else:
            self.min_value = -ceiling if allow_negative else Decimal(0)

    def required(self) -> str:
        return f"Enter {self.name}"

    def out_of_range(self, too_big: bool) -> str:
        name = _capital(self.name)
        if self.stated_max and self.min_value >= 0:
            low, high = format_gbp(self.min_value), format_gbp(self.max_value)
            return f"{name} must be between {low} and {high}"
        if too_big:
            return f"{name} must be {format_gbp(self.max_value)} or less"
        return f"{name} must be {format_gbp(self.min_value)} or more"

    def check(self, text) -> Decimal:
        """The amount, or ``ValueError`` with the message to show."""
        if isinstance(text, str) and not text.strip():
            raise ValueError(self.required())
        try:
            value = parse_gbp(text, allow_negative=self.allow_negative)
        except MoneyError as error:
            if error.code == "negative":
                raise ValueError(self.out_of_range(too_big=False)) from None
            if error.code == "pence":
                raise ValueError(
                    f"Enter {self.name} in pounds and pence, like {self.example}"
                ) from None
            raise ValueError(
                f"Enter {self.name} as an amount of money, like {self.example}"
            ) from None
        if value < self.min_value or value > self.max_value:
            raise ValueError(self.out_of_range(too_big=value > self.max_value))
        return value


class MoneyField(forms.Field):
    """A form's amount of money: a text input with a decimal keyboard, as GOV.UK asks."""

    def __init__(
        self,
        *,
        name: str,
        example: str = "1,200.50",
        min_value: Decimal | int | None = None,
        max_value: Decimal | int | None = None,
        max_digits: int = 12,
        allow_negative: bool = False,
        width: int = 10,
        **kwargs,
    ):
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "class": f"govuk-input govuk-input--width-{width}",
                    "inputmode": "decimal",
                    "spellcheck": "false",
                }
            ),
        )
        self.money = MoneyMessages(
            name,
            example=example,
            min_value=min_value,
            max_value=max_value,
            max_digits=max_digits,
            allow_negative=allow_negative,
        )
        super().__init__(**kwargs)
        self.error_messages["required"] = self.money.required()

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return self.money.check(value)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None

    def prepare_value(self, value):
        # An amount already saved shows as people type it ("15.50"); a typed one stays as typed.
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return value


class ApiMoneyField(serializers.DecimalField):
    """The API's amount of money: a JSON number or a string, read as the forms read it."""

    def __init__(
        self,
        *,
        name: str,
        example: str = "1200.50",
        min_value: Decimal | int | None = None,
        max_value: Decimal | int | None = None,
        max_digits: int = 12,
        allow_negative: bool = False,
        **kwargs,
    ):
        super().__init__(max_digits=max_digits, decimal_places=2, **kwargs)
        self.money = MoneyMessages(
            name,
            example=example,
            min_value=min_value,
            max_value=max_value,
            max_digits=max_digits,
            allow_negative=allow_negative,
        )
        # The schema states the range; the checks are ours, so no framework message leaks.
        self.min_value, self.max_value = self.money.min_value, self.money.max_value
        self.error_messages["required"] = self.money.required()
        self.error_messages["null"] = self.money.required()

    def to_internal_value(self, data):
        if isinstance(data, float):
            data = repr(data)
        try:
            return self.money.check(data)
        except ValueError as error:
            raise serializers.ValidationError(str(error), code="invalid") from None
