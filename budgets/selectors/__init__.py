"""Every read of budgets and the ledger, scoped by the reader.

LA officers see every cluster; school staff and panel members see their own
cluster's totals only (never the ledger's lines). An object outside the scope
answers 404. A budget's totals are its ledger's sums, kept in its balance row as
the ledger moves (``BudgetBalance``), so a page reads one row per budget and costs a
fixed number of queries whatever the number of clusters; a request's totals are
summed from its ledger lines in SQL.

One module per concern; every public name is re-exported here, so callers keep
``from budgets import selectors; selectors.budget_board(...)``:

* ``totals``: ledger sums, balances of a budget or a request, what a cluster can commit;
* ``scoped``: what the reader may see (budgets, clusters, ledger lines, instalments);
* ``forecast``: the monthly trend and the year-end forecast;
* ``boards``: the county and cluster dashboards and their live-refresh versions;
* ``settlement``: closing an award at review;
* ``money``: one request's money and a pupil's move;
* ``payments``: instalments due and overpayments to recover;
* ``terms``: the LA's term dates by academic year.
"""

from .boards import (
    ALERTS_LISTED,
    GROUP_ABOVE,
    BudgetBoard,
    BudgetRow,
    DistrictRow,
    SchoolLine,
    board_version,
    budget_board,
    cluster_requests,
    cluster_schools,
    cluster_version,
    ledger_version,
)
from .forecast import (
    Forecast,
    _month_index,
    _months_elapsed,
    forecast,
    monthly_commitments,
)
from .money import (
    MovePreview,
    RequestMoney,
    get_request_for_money,
    move_preview,
    request_money,
)
from .payments import (
    due_instalments,
    overpayments,
    skipped_count,
    skipped_instalments,
)
from .scoped import (
    _scope,
    filter_ledger,
    financial_years,
    get_budget,
    get_cluster,
    visible_budgets,
    visible_clusters,
    visible_instalments,
    visible_ledger,
)
from .settlement import (
    Settlement,
    settlement_preview,
    spent_too_much,
)
from .terms import YearOfTerms, term_dates, term_dates_for
from .totals import (
    ALERT_AMBER,
    ALERT_RED,
    MONEY,
    BalanceDifference,
    Totals,
    _sum,
    balance_differences,
    budget_totals,
    budgets_for_pairs,
    cluster_available,
    ledger_totals,
    request_budget_balances,
    request_totals,
    school_awards,
    totals_from_sums,
    unused_override,
    with_totals,
)

__all__ = [
    "ALERTS_LISTED",
    "ALERT_AMBER",
    "ALERT_RED",
    "BudgetBoard",
    "BudgetRow",
    "DistrictRow",
    "Forecast",
    "GROUP_ABOVE",
    "MONEY",
    "MovePreview",
    "RequestMoney",
    "SchoolLine",
    "Settlement",
    "Totals",
    "_month_index",
    "_months_elapsed",
    "_scope",
    "_sum",
    "board_version",
    "budget_board",
    "budget_totals",
    "budgets_for_pairs",
    "cluster_available",
    "cluster_requests",
    "cluster_schools",
    "cluster_version",
    "due_instalments",
    "filter_ledger",
    "financial_years",
    "forecast",
    "get_budget",
    "get_cluster",
    "get_request_for_money",
    "ledger_totals",
    "ledger_version",
    "monthly_commitments",
    "move_preview",
    "overpayments",
    "request_budget_balances",
    "request_money",
    "request_totals",
    "school_awards",
    "settlement_preview",
    "skipped_count",
    "skipped_instalments",
    "spent_too_much",
    "term_dates",
    "term_dates_for",
    "totals_from_sums",
    "unused_override",
    "visible_budgets",
    "visible_clusters",
    "visible_instalments",
    "visible_ledger",
    "with_totals",
    "YearOfTerms",
    "BalanceDifference",
    "balance_differences",
]
