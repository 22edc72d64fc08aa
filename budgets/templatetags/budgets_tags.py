"""Chart data and workings for the budget pages (money: the built-in ``gbp`` filter)."""

from __future__ import annotations

import json
from decimal import Decimal

from django import template

from budgets.allocation import FACTOR_NAMES

register = template.Library()


@register.filter
def neg(value):
    return -value


def _num(value) -> float | None:
    # Chart.js needs numbers; the exact figures are in the table beside each chart.
    return None if value is None else float(value)


@register.filter
def monthly_chart(board) -> str:
    allocated = _num(board.totals.allocated)
    return json.dumps(
        {
            "type": "line",
            "data": {
                "labels": board.month_labels,
                "datasets": [
                    {
                        "label": "Committed to date (£)",
                        "data": [_num(v) for v in board.cumulative],
                        "borderColor": "#1d70b8",
                        "backgroundColor": "#1d70b8",
                    },
                    {
                        "label": "Allocated (£)",
                        "data": [allocated] * 12,
                        "borderColor": "#505a5f",
                        "borderDash": [6, 4],
                        "pointRadius": 0,
                    },
                ],
            },
        }
    )


@register.filter
def monthly_rows(board):
    return [
        (label, net, cum)
        for label, net, cum in zip(board.month_labels, board.monthly, board.cumulative, strict=True)
        if cum is not None
    ]


@register.filter
def cluster_chart(board) -> str:
    return json.dumps(
        {
            "type": "bar",
            "indexAxis": "y",
            "data": {
                "labels": [f"{r.cluster} ({r.stream})" for r in board.rows],
                "datasets": [
                    {
                        "label": "% committed",
                        "data": [_num(r.totals.percent_committed) for r in board.rows],
                        "backgroundColor": [
                            "#d4351c"
                            if r.totals.alert in ("red", "over")
                            else "#f47738"
                            if r.totals.alert == "amber"
                            else "#00703c"
                            for r in board.rows
                        ],
                    }
                ],
            },
        }
    )


@register.filter
def percent(value) -> str:
    if value is None:
        return "–"
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'))}%"


@register.filter
def weights_used(plan) -> list[tuple[str, Decimal]]:
    """The plan's weights as the formula used them (adding up to 100%), named."""
    return [(FACTOR_NAMES[k], w) for k, w in plan.weights_used.items()]


@register.filter
def weights_dropped(plan) -> list[str]:
    return [FACTOR_NAMES[k] for k in plan.dropped]
