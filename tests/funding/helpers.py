"""Helpers for the funding tests: filling GOV.UK date inputs and reading pages."""

from datetime import date


def date_fields(name: str, value: date | None) -> dict[str, str]:
    if value is None:
        return {f"{name}_0": "", f"{name}_1": "", f"{name}_2": ""}
    return {
        f"{name}_0": str(value.day),
        f"{name}_1": str(value.month),
        f"{name}_2": str(value.year),
    }


def text(response) -> str:
    return response.content.decode()
