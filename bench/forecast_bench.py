"""Benchmark the budget forecast at county and national scale against a hand-written SQL floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_forecast_bench \\
        .venv/bin/python bench/forecast_bench.py [county|national|all] [--fraction F] [--reuse]

Builds on ``bench/impact_bench.build`` (schools, clusters, requests, decisions,
escalations, in bulk; the database is emptied first, so never point it at real data),
then adds the money, in bulk: a budget per cluster for each financial year 2021/22 to
2026/27 with a £250,000 allocation; for every awarded request a commitment on the
budget of its decision's year, dated with the decision; a release of a tenth on each
closed one; a payment of half on each; and two instalments, 30 and 400 days after the
decision (the second often after 31 March: the next year's).

The floor is five hand-written PostgreSQL statements computing the same aggregates as
``queries.forecast_figures`` (each budget's ledger sums, read as the report does from the
balance row the ledger keeps (``budgets.models.BudgetBalance``), the instalments due
after 31 March, the undecided requests by cluster and fund, the decisions by cluster in
the 24 months to the snapshot, the commitments by month over the three years before);
the report is the worker's ``services._compute_forecast`` with the snapshot fixed at
10 January 2026 (so that the months January to March are left to spread over): the same
queries and ``figures.forecast``. Timed alternately after a warm-up (medians of pairs).
Target (issue 13): within 1.5x of the floor, national under 60 s.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))

import impact_bench as ib  # noqa: E402 -- sets Django up
import reports_bench as rb  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from clusters.models import School  # noqa: E402
from funding.models import FundingRequest  # noqa: E402
from reports import figures, queries  # noqa: E402

YEAR = 2025
AS_OF = datetime(2026, 1, 10, 12, 0, tzinfo=ZoneInfo("Europe/London"))
FY = "(CASE WHEN extract(month FROM {t}) >= 4 THEN extract(year FROM {t}) " \
     "ELSE extract(year FROM {t}) - 1 END)::int"  # fmt: skip


def build_money() -> int:
    fy = FY.format(t="(d.decided_at AT TIME ZONE 'Europe/London')")
    with connection.cursor() as c:
        for table in ("budgets_paymentinstalment", "budgets_budgetbalance",
                      "budgets_ledgerentry", "budgets_clusterbudget"):  # fmt: skip
            c.execute(f"TRUNCATE {table} CASCADE")
        c.execute("INSERT INTO budgets_financialyear (start_year) SELECT g FROM "
                  "generate_series(2020, 2027) g ON CONFLICT DO NOTHING")  # fmt: skip
        c.execute(
            "INSERT INTO budgets_clusterbudget (cluster_id, stream_id, year_id, created_at, "
            "version) SELECT c.id, s.id, y.id, now(), 1 FROM clusters_cluster c "
            "CROSS JOIN funding_fundingstream s CROSS JOIN budgets_financialyear y "
            "WHERE s.code = 'BEN'"
        )
        c.execute(
            "INSERT INTO budgets_ledgerentry (budget_id, kind, amount, reason, created_at) "
            "SELECT id, 'allocation', 250000, 'Formula allocation', now() "
            "FROM budgets_clusterbudget"
        )
        awards = f"""
            FROM panels_decision d JOIN funding_fundingrequest r ON r.id = d.request_id
            JOIN budgets_financialyear y ON y.start_year = {fy}
            JOIN budgets_clusterbudget b ON b.cluster_id = r.cluster_id
                 AND b.stream_id = r.stream_id AND b.year_id = y.id
            WHERE d.outcome <> 'declined'"""
        for kind, amount, extra in (
            ("commitment", "d.amount", ""),
            ("release", "round(d.amount / 10, 2)", " AND r.state = 'closed'"),
            ("payment", "round(d.amount / 2, 2)", ""),
        ):
            c.execute(
                "INSERT INTO budgets_ledgerentry (budget_id, kind, amount, reason, created_at,"
                f" request_id, school_id) SELECT b.id, '{kind}', {amount}, 'Bench',"
                f" d.decided_at, r.id, r.school_id {awards}{extra}"
            )
        for days in (30, 400):
            c.execute(
                "INSERT INTO budgets_paymentinstalment (request_id, budget_id, school_id,"
                " due_date, term, amount, status, skip_reason) SELECT r.id, b.id, r.school_id,"
                f" (d.decided_at + interval '{days} days')::date, 'Bench',"
                f" round(d.amount / 4, 2), 'scheduled', '' {awards}"
            )
        # Each budget's balance, as the ledger keeps it (budgets.models.BudgetBalance): the
        # rows made with every default by the ORM, then the sums set in one statement.
        from budgets.models import BudgetBalance, ClusterBudget

        BudgetBalance.objects.bulk_create(
            [
                BudgetBalance(budget_id=pk)
                for pk in ClusterBudget.objects.values_list("pk", flat=True)
            ],
            batch_size=5000,
        )
        c.execute(
            "UPDATE budgets_budgetbalance k SET "
            + ", ".join(f"{kind} = s.{kind}" for kind in
                        ("allocation", "adjustment", "commitment", "release", "payment"))
            + ", last_entry_id = s.last FROM (SELECT budget_id, "
            + ", ".join(
                f"coalesce(sum(amount) FILTER (WHERE kind = '{kind}'), 0) AS {kind}"
                for kind in ("allocation", "adjustment", "commitment", "release", "payment")
            )
            + ", max(id) AS last FROM budgets_ledgerentry GROUP BY budget_id) s"
            " WHERE k.budget_id = s.budget_id"
        )  # fmt: skip
        c.execute("ANALYZE")
        c.execute("SELECT count(*) FROM budgets_ledgerentry")
        return c.fetchone()[0]


FLOOR_SQL = [
    # Each budget's ledger sums, as the ledger keeps them (its balance row).
    """SELECT b.id, b.cluster_id, b.stream_id, c.name, s.name,
              coalesce(k.allocation + k.adjustment, 0), coalesce(k.commitment - k.release, 0),
              coalesce(k.payment, 0)
       FROM budgets_clusterbudget b
       JOIN budgets_financialyear y ON y.id = b.year_id AND y.start_year = %(year)s
       JOIN clusters_cluster c ON c.id = b.cluster_id
       JOIN funding_fundingstream s ON s.id = b.stream_id
       LEFT JOIN budgets_budgetbalance k ON k.budget_id = b.id
       ORDER BY c.name, s.name""",
    """SELECT i.budget_id, sum(i.amount), count(DISTINCT i.request_id)
       FROM budgets_paymentinstalment i JOIN budgets_clusterbudget b ON b.id = i.budget_id
       JOIN budgets_financialyear y ON y.id = b.year_id AND y.start_year = %(year)s
       WHERE i.status = 'scheduled' AND i.due_date > %(year_end)s GROUP BY i.budget_id""",
    """SELECT r.cluster_id, r.stream_id, count(*), sum(r.amount_requested)
       FROM funding_fundingrequest r
       WHERE r.state IN ('submitted', 'returned', 'ready', 'on_agenda', 'deferred')
       GROUP BY r.cluster_id, r.stream_id""",
    """SELECT r.cluster_id, count(*), count(*) FILTER (WHERE d.outcome <> 'declined'),
              sum(d.amount) FILTER (WHERE d.outcome <> 'declined'),
              sum(r.amount_requested) FILTER (WHERE d.outcome <> 'declined')
       FROM panels_decision d JOIN funding_fundingrequest r ON r.id = d.request_id
       WHERE d.outcome IN ('approved', 'partially_approved', 'declined')
         AND d.decided_at >= %(since)s AND d.decided_at <= %(as_of)s
       GROUP BY r.cluster_id""",
    """SELECT extract(month FROM e.created_at AT TIME ZONE 'Europe/London'), sum(e.amount)
       FROM budgets_ledgerentry e JOIN budgets_clusterbudget b ON b.id = e.budget_id
       JOIN budgets_financialyear y ON y.id = b.year_id
       WHERE e.kind = 'commitment' AND y.start_year >= %(year)s - 3 AND y.start_year < %(year)s
       GROUP BY 1""",
]


def floor() -> int:
    params = {"year": YEAR, "year_end": datetime(YEAR + 1, 3, 31).date(), "as_of": AS_OF,
              "since": AS_OF.replace(year=AS_OF.year - 2)}  # fmt: skip
    n = 0
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        for sql in FLOOR_SQL:
            cursor.execute(sql, params)
            n += len(cursor.fetchall())
    return n


def report() -> dict:
    """``services._compute_forecast`` with the snapshot's moment fixed (see above)."""
    from django.db import transaction

    scope = figures.ReportScope("county", None, "the county")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        data = queries.forecast_figures(YEAR, as_of=AS_OF)
    return figures.forecast(data, scope, YEAR, AS_OF.date())


def bench(scale: str, fraction: float, reuse: bool) -> list[str]:
    expected = rb.SCALES[scale]["schools"]
    if scale == "national" and fraction != 1:
        expected = int(expected * fraction)
    if reuse and School.objects.count() == expected:
        info = {"scale": scale, "requests": FundingRequest.objects.count(), "schools": expected}
    else:
        info = ib.build(scale, fraction)
    t0 = time.perf_counter()
    entries = build_money()
    print(f"  money: {entries:,} ledger entries in {time.perf_counter() - t0:.1f} s")
    repeat = 9 if scale == "county" else 3
    floors, reports, result = rb.paired(floor, report, repeat)
    f, r = statistics.median(floors), statistics.median(reports)
    total = result["totals"]
    label = info["scale"] + (f" (national x {fraction})" if fraction != 1 else "")
    return [
        f"{label}: {info['schools']:,} schools, {info['requests']:,} requests, "
        f"{entries:,} ledger entries; {len(result['sections'][0]['rows']) - 1:,} budgets, "
        f"{total['requests']:,} undecided, expected {total['pipeline_expected']}, "
        f"runs out (worst) {total['run_out_worst']}",
        f"  forecast: floor {f:.3f} s (min {min(floors):.3f}), report {r:.3f} s "
        f"(min {min(reports):.3f}): {r / f:.2f}x the floor",
    ]


def main(argv: list[str]) -> None:
    which = next((a for a in argv if not a.startswith("-") and not a[0].isdigit()), "county")
    fraction = float(argv[argv.index("--fraction") + 1]) if "--fraction" in argv else 1.0
    reuse = "--reuse" in argv
    call_command("migrate", verbosity=0)
    print(f"forecast bench {datetime.now():%Y-%m-%d %H:%M} on {connection.vendor}")
    lines = []
    for scale in ["county", "national"] if which == "all" else [which]:
        lines += bench(scale, fraction, reuse)
        if "--impact" in argv:
            lines += ib.bench(scale, fraction, reuse=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
