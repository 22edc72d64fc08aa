"""Benchmark the inclusiveness and fair-share reports at county and national scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_reports_bench \\
        .venv/bin/python bench/reports_bench.py [county|national|all] [--files] [--exports] [--reuse]

Builds its own data in bulk (INSERT ... SELECT generate_series, no Python loop over
requests) in the database named by DATABASE_URL (created and migrated if needed; it is
emptied of schools and requests first, so never point it at real data), then times:

* the floor: one hand-written SQL query computing the core aggregates per school
  (the year's roll, SEN, exclusions and joiners, the requests, decisions and £ awarded,
  and the cluster and county totals by window functions);
* each report's computation as the worker does it (``reports.services.compute``);
* with ``--files``, also the four files (HTML, CSV, XLSX, PDF), each against its floor:
  the XLSX against the CSV of the same rows, the PDF against a minimal PDF of the same
  tables (their cells' texts at fixed places in a standard font, written with pydyf);
  and the process's peak memory (``ru_maxrss``, the whole process: Django, the data and
  every file of the report) after each report.

and prints each as a ratio to the floor. The floor and the report are timed alternately
(pairs, after a warm-up run of each), so both see the same caches and machine load; the
medians and the minimums are printed. The files are timed after the PDF and XLSX
libraries are imported and warmed up once (as in a worker that has produced one
report): the median of 3 runs at county scale, one run at national scale. Targets
(issue 16): every county report whole in under 1.5 s, every national one in under
10 s, computation within 1.3x of the floor, XLSX within 3x of its CSV.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_reports_bench")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from clusters.models import Cluster, District, School, SchoolYearStats  # noqa: E402
from funding.models import FundingRequest, FundingStream  # noqa: E402
from reports import rendering, services  # noqa: E402
from reports.models import ReportKind, ReportRun, ScopeKind  # noqa: E402
from reports.queries import AWARDED_STATES, DECIDED_STATES, YearWindow  # noqa: E402

SCALES = {
    "county": {"schools": 300, "clusters": 17, "districts": 5, "requests": 50_000},
    "national": {"schools": 20_000, "clusters": 1_100, "districts": 150, "requests": 2_000_000},
}
YEARS = [2021, 2022, 2023, 2024, 2025]
REPORT_YEAR = 2025
STATES = [
    "submitted",
    "ready",
    "approved",
    "partially_approved",
    "declined",
    "active",
    "review_due",
    "closed",
    "withdrawn",
    "declined",
]


def literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, list | dict):
        import json

        return "'" + json.dumps(value).replace("'", "''") + "'"
    return "'" + str(value).replace("'", "''") + "'"


def insert_select(model, count: int, exprs: dict[str, str]) -> None:
    """INSERT INTO model SELECT ... FROM generate_series(1, count) AS g: every column
    from ``exprs`` (SQL using g) or else the field's default."""
    cols, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(connection.ops.quote_name(f.column))
        if f.attname in exprs:
            values.append(exprs[f.attname])
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append("now()")
        elif f.has_default():
            values.append(literal(f.get_default()))
        elif f.null:
            values.append("NULL")
        else:
            values.append("''")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(cols)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, {count}) AS g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)


def build(scale: str) -> None:
    spec = SCALES[scale]
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for table in (
            "reports_reportrun",
            "funding_requestevent",
            "funding_provisionline",
            "funding_reviewcycle",
            "funding_requestdocument",
            "funding_fundingrequest",
            "clusters_schoolyearstats",
            "clusters_membership",
        ):
            cursor.execute(f"TRUNCATE {table} CASCADE")
        for model in (School, Cluster, District):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench")
    stream, _ = FundingStream.objects.get_or_create(
        code="BEN",
        defaults={"name": "Bench stream", "max_award": Decimal("20000"), "max_duration_weeks": 52},
    )
    n_d, n_c, n_s = spec["districts"], spec["clusters"], spec["schools"]
    insert_select(District, n_d, {"code": "'BD' || g", "name": "'Bench district ' || g"})
    d0 = District.objects.order_by("pk").values_list("pk", flat=True).first()
    insert_select(
        Cluster,
        n_c,
        {
            "district_id": f"{d0} + (g % {n_d})",
            "code": "'BC' || g",
            "name": "'Bench cluster ' || g",
        },
    )
    c0 = Cluster.objects.order_by("pk").values_list("pk", flat=True).first()
    insert_select(
        School,
        n_s,
        {
            "urn": "900000 + g",
            "name": "'Bench school ' || g",
            "la_code": "'999'",
            "phase": "CASE WHEN g % 5 = 0 THEN 'secondary' ELSE 'primary' END",
            "cluster_id": f"{c0} + (g % {n_c})",
        },
    )
    s0 = School.objects.order_by("pk").values_list("pk", flat=True).first()
    for year in YEARS:
        _insert_stats(year)
    states = "ARRAY[" + ", ".join(literal(s) for s in STATES) + "]"
    start = YearWindow(YEARS[0]).start.isoformat()
    insert_select(
        FundingRequest,
        spec["requests"],
        {
            "reference": "'BEN-' || g",
            "stream_id": str(stream.pk),
            "school_id": f"{s0} + ((g::bigint * 7919) % {n_s})",
            "cluster_id": f"{c0} + ((((g::bigint * 7919) % {n_s}) + 1) % {n_c})",
            "created_by_id": str(user.pk),
            "state": f"({states})[1 + (g % {len(STATES)})]",
            "submitted_at": f"'{start}'::timestamptz + (random() * interval '{len(YEARS) * 365} days')",
            "amount_requested": "(1000 + random() * 9000)::numeric(12,2)",
            "school_contribution": "6000.00",
            "amount_awarded": f"CASE WHEN ({states})[1 + (g % {len(STATES)})] IN "
            f"({', '.join(literal(s) for s in AWARDED_STATES)}) "
            "THEN (500 + random() * 9500)::numeric(12,2) END",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{scale}: built {n_s:,} schools, {n_s * len(YEARS):,} stats rows, "
        f"{spec['requests']:,} requests in {time.perf_counter() - t0:.1f} s"
    )


def _insert_stats(year: int) -> None:
    """One row per school for the year, its counts drawn from one random roll."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SchoolYearStats._meta.db_table}
              (school_id, academic_year, number_on_roll, fsm_pupils, fsm_percent, ehcp_pupils,
               sen_support_pupils, suspensions, permanent_exclusions, sen_joiners_no_move,
               notional_sen_budget)
            SELECT s.id, %s, r.roll, (r.roll * random() * 0.3)::int, 0,
                   (r.roll * random() * 0.05)::int, (r.roll * random() * 0.2)::int,
                   (random() * 20)::int, (random() * 1.3)::int, (random() * 8)::int,
                   (r.roll * 400)::numeric(12,2)
            FROM {School._meta.db_table} s
            CROSS JOIN LATERAL (SELECT 150 + (random() * 1200)::int + s.id * 0 AS roll) r
            """,
            [year],
        )


FLOOR_SQL = """
WITH req AS (
    SELECT school_id,
           count(*) AS requests,
           count(*) FILTER (WHERE state = ANY(%(decided)s)) AS decided,
           count(*) FILTER (WHERE state = ANY(%(awarded)s)) AS approved,
           coalesce(sum(amount_awarded) FILTER (WHERE state = ANY(%(awarded)s)), 0) AS awarded,
           coalesce(sum(school_contribution) FILTER (WHERE state = ANY(%(awarded)s)), 0) AS contrib
    FROM funding_fundingrequest
    WHERE submitted_at >= %(start)s AND submitted_at < %(end)s
    GROUP BY school_id
)
SELECT st.school_id, sc.cluster_id, st.number_on_roll, st.fsm_pupils, st.ehcp_pupils,
       st.sen_support_pupils, st.suspensions, st.permanent_exclusions,
       st.sen_joiners_no_move, st.notional_sen_budget,
       coalesce(req.requests, 0), coalesce(req.decided, 0), coalesce(req.approved, 0),
       coalesce(req.awarded, 0), coalesce(req.contrib, 0),
       sum(st.number_on_roll) OVER w_cluster, sum(st.ehcp_pupils) OVER w_cluster,
       sum(st.sen_support_pupils) OVER w_cluster,
       sum(st.number_on_roll) OVER (), sum(st.ehcp_pupils) OVER (),
       sum(st.sen_support_pupils) OVER (), sum(st.sen_joiners_no_move) OVER (),
       sum(coalesce(req.awarded, 0)) OVER ()
FROM clusters_schoolyearstats st
JOIN clusters_school sc ON sc.id = st.school_id
LEFT JOIN req ON req.school_id = st.school_id
WHERE st.academic_year = %(year)s AND sc.cluster_id IS NOT NULL
WINDOW w_cluster AS (PARTITION BY sc.cluster_id)
"""


def floor() -> int:
    window = YearWindow(REPORT_YEAR)
    with connection.cursor() as cursor:
        cursor.execute(
            FLOOR_SQL,
            {
                "decided": list(DECIDED_STATES),
                "awarded": list(AWARDED_STATES),
                "start": window.start,
                "end": window.end,
                "year": REPORT_YEAR,
            },
        )
        return len(cursor.fetchall())


def pdf_floor(result: dict) -> bytes:
    """The same tables as the report's PDF (its print columns, rows and texts) written as
    a minimal PDF with pydyf (WeasyPrint's PDF library): each cell's text drawn at a fixed
    place in a standard font, one content stream a page; no measuring, wrapping, tags,
    embedded font or front matter. What putting those cells in a PDF costs at the least."""
    import io

    import pydyf

    pdf = pydyf.PDF()
    font = pydyf.Dictionary(
        {
            "Type": "/Font",
            "Subtype": "/Type1",
            "BaseFont": "/Helvetica",
            "Encoding": "/WinAnsiEncoding",
        }
    )
    pdf.add_object(font)
    resources = pydyf.Dictionary({"Font": pydyf.Dictionary({"F1": font.reference})})
    per_page = 60
    for table in rendering.tables(
        result, compact=True, max_rows=rendering.PDF_MAX_ROWS, markup=False
    ):
        lines = [[h["label"] for h in table["headers"]], *table["rows"]]
        for start in range(0, len(lines), per_page):
            stream = pydyf.Stream(compress=True)
            stream.begin_text()
            stream.set_font_size("F1", 7.5)
            for i, row in enumerate(lines[start : start + per_page]):
                for j, text in enumerate(row):
                    stream.set_text_matrix(1, 0, 0, 1, 34 + 70 * j, 800 - 12.5 * i)
                    stream.show_text_string(text.encode("cp1252", "replace").decode("latin-1"))
            stream.end_text()
            pdf.add_object(stream)
            pdf.add_page(
                pydyf.Dictionary(
                    {
                        "Type": "/Page",
                        "Parent": pdf.pages.reference,
                        "MediaBox": pydyf.Array([0, 0, 1190.55, 841.89]),
                        "Contents": stream.reference,
                        "Resources": resources,
                    }
                )
            )
    out = io.BytesIO()
    pdf.write(out)
    return out.getvalue()


def warm_up() -> None:
    """Import and run the PDF and XLSX libraries once, as a worker has after its first
    report (the PDF's fonts are read and cut to their usual subset once a process)."""
    from reports import pdf

    pdf.warm_up()
    rendering.warm_up_xlsx()


FILE_REPEAT = {"county": 3, "national": 1}


def timed(fn, *args, repeat: int = 1) -> float:
    """The median time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def paired(floor_fn, report_fn, repeat: int) -> tuple[list[float], list[float], object]:
    """Time the floor and the report alternately, after one untimed run of each, so
    both see the same caches and the same load on the machine; ``repeat`` pairs."""
    floor_fn()
    out = report_fn()
    floors, reports = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        floor_fn()
        t1 = time.perf_counter()
        out = report_fn()
        t2 = time.perf_counter()
        floors.append(t1 - t0)
        reports.append(t2 - t1)
    return floors, reports, out


def bench(scale: str, with_files: bool, reuse: bool = False) -> list[str]:
    if not (reuse and School.objects.count() == SCALES[scale]["schools"]):
        build(scale)
    repeat = 21 if scale == "county" else 5
    n = floor()
    lines = [f"{scale}: floor = one hand-written SQL query ({n:,} school rows); {repeat} pairs"]
    target = 1.5 if scale == "county" else 10
    if with_files:
        warm_up()
    # The forecast and the KPI pack have their own bench (forecast_bench.py).
    for kind in [k for k in ReportKind.values if k not in ("forecast", "kpi_pack")]:
        run = ReportRun.objects.create(
            kind=kind,
            scope_kind=ScopeKind.COUNTY,
            academic_year=REPORT_YEAR,
            parameters=services.default_parameters(REPORT_YEAR, "2.5"),
        )
        floors, computes, (result, as_of) = paired(
            floor, lambda run=run: services.compute(run), repeat
        )
        floor_s, compute_s = statistics.median(floors), statistics.median(computes)
        ratios = sorted(c / f for f, c in zip(floors, computes, strict=True))
        line = (
            f"{scale}: {kind} computed in {compute_s:.3f} s (median; min {min(computes):.3f}) "
            f"against the floor's {floor_s:.3f} s (min {min(floors):.3f}): "
            f"{compute_s / floor_s:.2f}x (median of pairwise ratios "
            f"{statistics.median(ratios):.2f}x, of minimums {min(computes) / min(floors):.2f}x)"
        )
        if with_files:
            run.data_as_of = as_of
            k = FILE_REPEAT[scale]
            t_html = timed(rendering.render_html, run, result, repeat=k)
            t_csv = timed(rendering.render_csv, result, repeat=k)
            t_xlsx = timed(rendering.render_xlsx, run, result, repeat=k)
            t_pdf = timed(rendering.render_pdf, run, result, repeat=k)
            t_pdf_floor = timed(pdf_floor, result, repeat=k)
            total = compute_s + t_html + t_csv + t_xlsx + t_pdf
            line += (
                f"; files html {t_html:.2f} s, csv {t_csv:.2f} s, "
                f"xlsx {t_xlsx:.2f} s ({t_xlsx / t_csv:.1f}x its CSV), "
                f"pdf {t_pdf:.2f} s ({t_pdf / t_pdf_floor:.2f}x the minimal PDF's "
                f"{t_pdf_floor:.2f} s); whole report {total:.2f} s "
                f"({'within' if total < target else 'OVER'} the {target} s target); "
                f"peak memory {peak_mb():.0f} MB"
            )
        lines.append(line)
        print(line, flush=True)
    return lines


# ---------------------------------------------------------------- exports (--exports)


def build_money() -> None:
    """A budget per cluster for 2025/26 with its allocation, and for each awarded request
    a commitment in the ledger and one scheduled payment instalment."""
    from budgets.models import ClusterBudget, FinancialYear, LedgerEntry, PaymentInstalment

    with connection.cursor() as cursor:
        for model in (LedgerEntry, PaymentInstalment, ClusterBudget):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    year, _ = FinancialYear.objects.get_or_create(start_year=REPORT_YEAR)
    stream = FundingStream.objects.get(code="BEN")
    budgets, ledger, instalments = (
        ClusterBudget._meta.db_table,
        LedgerEntry._meta.db_table,
        PaymentInstalment._meta.db_table,
    )
    awarded = ", ".join(literal(s) for s in AWARDED_STATES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {budgets} (cluster_id, stream_id, year_id, created_at) "
            f"SELECT id, {stream.pk}, {year.pk}, now() FROM {Cluster._meta.db_table}"
        )
        cursor.execute(
            f"INSERT INTO {ledger} (budget_id, kind, amount, reason, created_at) "
            f"SELECT id, 'allocation', 250000, 'Formula allocation', now() FROM {budgets}"
        )
        cursor.execute(
            f"""INSERT INTO {ledger} (budget_id, kind, amount, reason, created_at, request_id,
                                      school_id)
            SELECT b.id, 'commitment', r.amount_awarded, 'Award on approval', r.submitted_at,
                   r.id, r.school_id
            FROM funding_fundingrequest r JOIN {budgets} b ON b.cluster_id = r.cluster_id
            WHERE r.state IN ({awarded}) AND r.amount_awarded IS NOT NULL"""
        )
        cursor.execute(
            f"""INSERT INTO {instalments} (request_id, budget_id, school_id, due_date, term,
                                           amount, status, skip_reason)
            SELECT r.id, b.id, r.school_id, (r.submitted_at + interval '30 days')::date,
                   'Autumn 2025', r.amount_awarded, 'scheduled', ''
            FROM funding_fundingrequest r JOIN {budgets} b ON b.cluster_id = r.cluster_id
            WHERE r.state IN ({awarded}) AND r.amount_awarded IS NOT NULL"""
        )
        cursor.execute("ANALYZE")


TRIAGE_FLOOR_SQL = """
SELECT r.reference, r.state, s.name, s.urn, c.name, st.name, r.request_type, r.submitted_at,
       r.total_cost, r.school_contribution, r.amount_requested, r.amount_awarded
FROM funding_fundingrequest r
JOIN clusters_school s ON s.id = r.school_id
JOIN clusters_cluster c ON c.id = r.cluster_id
JOIN funding_fundingstream st ON st.id = r.stream_id
WHERE r.state <> 'draft' ORDER BY r.created_at, r.id
"""
LEDGER_FLOOR_SQL = """
SELECT e.id, e.created_at, fy.start_year, st.name, c.name, e.kind, e.amount, s.urn, s.name,
       r.reference, e.reason, u.username, e.override_id
FROM budgets_ledgerentry e
JOIN budgets_clusterbudget b ON b.id = e.budget_id
JOIN budgets_financialyear fy ON fy.id = b.year_id
JOIN funding_fundingstream st ON st.id = b.stream_id
JOIN clusters_cluster c ON c.id = b.cluster_id
LEFT JOIN clusters_school s ON s.id = e.school_id
LEFT JOIN funding_fundingrequest r ON r.id = e.request_id
LEFT JOIN auth_user u ON u.id = e.created_by_id
ORDER BY e.id
"""
PAYMENTS_FLOOR_SQL = """
SELECT i.due_date, i.term, fy.start_year, st.name, c.name, s.urn, s.name, r.reference,
       i.amount, i.status, i.payment_id
FROM budgets_paymentinstalment i
JOIN budgets_clusterbudget b ON b.id = i.budget_id
JOIN budgets_financialyear fy ON fy.id = b.year_id
JOIN funding_fundingstream st ON st.id = b.stream_id
JOIN clusters_cluster c ON c.id = b.cluster_id
JOIN clusters_school s ON s.id = i.school_id
JOIN funding_fundingrequest r ON r.id = i.request_id
ORDER BY i.due_date, i.id
"""


def csv_floor(sql: str) -> int:
    """The same rows from one query, written with the csv module."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(2000):
            writer.writerows(rows)
    return len(buffer.getvalue())


def bench_exports(scale: str) -> list[str]:
    """The triage CSV and the ledger and payment exports as the views write them, each
    against the CSV of the same rows from one query (median of 3 after a warm-up)."""
    from django.contrib.auth import get_user_model

    from budgets import exports
    from budgets.selectors import visible_instalments, visible_ledger
    from clusters.models import Membership, Role
    from funding import selectors as funding

    build_money()
    officer, _ = get_user_model().objects.get_or_create(username="bench-officer")
    Membership.objects.get_or_create(user=officer, role=Role.LA_FINANCE_OFFICER)
    Membership.objects.get_or_create(user=officer, role=Role.LA_SEND_OFFICER)

    def triage() -> int:
        qs = funding.request_list(officer, funding.RequestFilters())
        writer = funding.csv_writer()
        return sum(len(writer.writerow(row)) for row in funding.export_rows(officer, qs))

    def ledger() -> int:
        qs = visible_ledger(officer).order_by("id")
        rows = exports.ledger_rows(qs)
        return len(exports.as_csv("ledger", exports.LEDGER_COLUMNS, rows).content)

    def payments() -> int:
        qs = visible_instalments(officer).order_by("due_date", "id")
        rows = exports.payment_rows(qs)
        return len(exports.as_csv("payments", exports.PAYMENT_COLUMNS, rows).content)

    lines = []
    for name, fn, sql in (
        ("triage CSV", triage, TRIAGE_FLOOR_SQL),
        ("ledger CSV", ledger, LEDGER_FLOOR_SQL),
        ("payments CSV", payments, PAYMENTS_FLOOR_SQL),
    ):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sql}) q")
            (n,) = cursor.fetchone()
        floors, times, _ = paired(lambda sql=sql: csv_floor(sql), fn, 3)
        f, t = statistics.median(floors), statistics.median(times)
        line = (
            f"{scale}: {name} of {n:,} rows in {t:.2f} s against the csv module's "
            f"{f:.2f} s from one query: {t / f:.1f}x ({'within' if t < 2 * f else 'OVER'} 2x)"
        )
        print(line, flush=True)
        lines.append(line)
    return lines


def main(argv: list[str]) -> None:
    which = next((a for a in argv if not a.startswith("-")), "county")
    with_files = "--files" in argv
    reuse = "--reuse" in argv  # keep the data already built for this scale
    call_command("migrate", verbosity=0)
    scales = ["county", "national"] if which == "all" else [which]
    print(f"reports bench {datetime.now():%Y-%m-%d %H:%M} on {connection.vendor}")
    lines = []
    for scale in scales:
        lines += bench(scale, with_files, reuse)
        if "--exports" in argv:
            lines += bench_exports(scale)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
