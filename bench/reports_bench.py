"""Benchmark the inclusiveness and fair-share reports at county and national scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_reports_bench \\
        .venv/bin/python bench/reports_bench.py [county|national|all] [--files] [--exports] [--reuse]

Builds its own data in bulk (INSERT ... SELECT generate_series, no Python loop over
requests) in the database named by DATABASE_URL (created and migrated if needed; it is
emptied of schools and requests first, so never point it at real data), then times:

* the floor of each report: hand-written SQL computing what the report shows, read in
  one snapshot. Inclusiveness: every school with its names, figures, rates, its
  cluster's and the county's, standard scores within its phase, index, money and flags,
  and each cluster's and the county's sums, mean index and flag counts (window
  functions), sorted as the report; and the time to decision per cluster and county
  (each decided request's working days from its changes of state, over a calendar of
  working days; medians by percentile_cont). Fair share: the same schools with their
  shares of roll, FSM, SEN support, need and £ awarded, ratios, £ expected, the
  clusters' shares, the Gini coefficients and the top decile's share; and the clusters'
  allocations from the ledger;
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


# The floor: what each report shows, computed by hand-written SQL in the fewest
# statements. Both reports list every school with its names and figures, sorted by
# district, cluster and school, and each cluster's and the county's totals (here by
# window functions over the same rows).
SCHOOLS_SQL = """
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
), s AS (
    SELECT sc.id, sc.urn, sc.name, sc.phase, sc.cluster_id, cl.name AS cluster_name,
           d.name AS district_name, st.id IS NOT NULL AS has_stats,
           coalesce(st.number_on_roll, 0) AS roll, coalesce(st.fsm_pupils, 0) AS fsm,
           coalesce(st.ehcp_pupils, 0) AS ehcp, coalesce(st.sen_support_pupils, 0) AS sen,
           coalesce(st.suspensions, 0) AS susp, coalesce(st.permanent_exclusions, 0) AS excl,
           coalesce(st.sen_joiners_no_move, 0) AS joiners, st.notional_sen_budget AS budget,
           coalesce(req.requests, 0) AS requests, coalesce(req.decided, 0) AS decided,
           coalesce(req.approved, 0) AS approved, coalesce(req.awarded, 0) AS awarded,
           coalesce(req.contrib, 0) AS contrib
    FROM clusters_school sc
    JOIN clusters_cluster cl ON cl.id = sc.cluster_id
    JOIN clusters_district d ON d.id = cl.district_id
    LEFT JOIN req ON req.school_id = sc.id
    LEFT JOIN clusters_schoolyearstats st ON st.school_id = sc.id AND st.academic_year = %(year)s
    WHERE st.id IS NOT NULL OR req.school_id IS NOT NULL
)
"""
ORDER = 'ORDER BY lower(district_name) COLLATE "C", lower(cluster_name) COLLATE "C", lower(name) COLLATE "C", id'

# The inclusiveness report: each school's rates, its cluster's and the county's, its
# standard scores within its phase and its index, its money and flags; each cluster's
# and the county's sums, rates, mean index and flag counts.
INCLUSIVENESS_SQL = (
    SCHOOLS_SQL
    + """
, c AS (
    SELECT cluster_id, sum(roll) AS roll, sum(fsm) AS fsm, sum(ehcp) AS ehcp, sum(sen) AS sen,
           sum(susp) AS susp, sum(excl) AS excl, sum(joiners) AS joiners,
           sum(requests) AS requests, sum(decided) AS decided, sum(approved) AS approved,
           sum(awarded) AS awarded, sum(contrib) AS contrib, sum(budget) AS budget,
           count(*) AS schools
    FROM s GROUP BY ROLLUP (cluster_id)
), r AS (
    SELECT s.*,
           100.0 * s.sen::float / nullif(s.roll, 0) AS sen_pct,
           100.0 * s.ehcp::float / nullif(s.roll, 0) AS ehcp_pct,
           100.0 * (s.sen + s.ehcp)::float / nullif(s.roll, 0) AS send_pct,
           100.0 * s.requests::float / nullif(s.roll, 0) AS requests_rate,
           100.0 * s.approved::float / nullif(s.decided, 0) AS approval,
           100.0 * s.susp::float / nullif(s.roll, 0) AS susp_rate,
           100.0 * s.excl::float / nullif(s.roll, 0) AS excl_rate,
           100.0 * s.joiners::float / nullif(s.roll, 0) AS joiners_rate,
           round(s.awarded / nullif(s.roll, 0), 2) AS per_pupil,
           round(s.awarded / nullif(s.sen, 0), 2) AS per_sen,
           %(per_pupil)s * s.ehcp + s.contrib AS first_6000,
           greatest(0, %(per_pupil)s * s.ehcp + s.contrib - s.budget) AS shortfall,
           100.0 * c.sen::float / nullif(c.roll, 0) AS c_sen_pct,
           100.0 * c.ehcp::float / nullif(c.roll, 0) AS c_ehcp_pct,
           100.0 * (c.sen + c.ehcp)::float / nullif(c.roll, 0) AS c_send_pct,
           100.0 * k.sen::float / nullif(k.roll, 0) AS k_sen_pct,
           100.0 * k.ehcp::float / nullif(k.roll, 0) AS k_ehcp_pct,
           100.0 * k.joiners::float / nullif(k.roll, 0) AS k_joiners_rate
    FROM s JOIN c ON c.cluster_id = s.cluster_id
    CROSS JOIN (SELECT * FROM c WHERE cluster_id IS NULL) k
), p AS (
    SELECT phase, avg(sen_pct) AS m1, stddev_pop(sen_pct) AS d1, avg(ehcp_pct) AS m2,
           stddev_pop(ehcp_pct) AS d2, avg(joiners_rate) AS m3, stddev_pop(joiners_rate) AS d3,
           avg(susp_rate) AS m4, stddev_pop(susp_rate) AS d4, avg(excl_rate) AS m5,
           stddev_pop(excl_rate) AS d5
    FROM r GROUP BY phase
), f AS (
    SELECT r.*,
           CASE WHEN roll > 0 THEN (coalesce((sen_pct - m1) / nullif(d1, 0), 0)
               + coalesce((ehcp_pct - m2) / nullif(d2, 0), 0)
               + coalesce((joiners_rate - m3) / nullif(d3, 0), 0)
               - coalesce((susp_rate - m4) / nullif(d4, 0), 0)
               - coalesce((excl_rate - m5) / nullif(d5, 0), 0)) / 5 END AS idx,
           ehcp_pct > k_ehcp_pct AND ehcp_pct > %(national)s AS high_send,
           coalesce(joiners >= %(magnet_min)s AND joiners_rate >= %(magnet_ratio)s * k_joiners_rate,
                    false) AS magnet,
           coalesce(send_pct < %(below_ratio)s * c_send_pct, false) AS below
    FROM r JOIN p USING (phase)
), u AS (
    SELECT cluster_id, avg(idx) AS idx, count(*) FILTER (WHERE high_send) AS high_send,
           count(*) FILTER (WHERE magnet) AS magnet, count(*) FILTER (WHERE below) AS below,
           sum(first_6000) AS first_6000, sum(shortfall) AS shortfall
    FROM f GROUP BY ROLLUP (cluster_id)
)
SELECT f.*, u.*, c.*, ku.*, k.*
FROM f JOIN u ON u.cluster_id = f.cluster_id JOIN c ON c.cluster_id = f.cluster_id
CROSS JOIN (SELECT * FROM u WHERE cluster_id IS NULL) ku
CROSS JOIN (SELECT * FROM c WHERE cluster_id IS NULL) k
"""
    + ORDER
)

# The time to decision of each cluster and the county: every decided request's working
# days with the LA and since first submitted (weekends and bank holidays off, from its
# changes of state), as funding.selectors.clock_days counts them; medians and the count
# within the target.
CLOCK_SQL = """
WITH cal AS (  -- n[i]: working days from cal_from to its i-th day (cal_from is 1)
    SELECT array_agg(n ORDER BY day) AS n FROM (
        SELECT d::date AS day,
               count(*) FILTER (WHERE extract(isodow FROM d) < 6 AND d::date <> ALL(%(holidays)s))
                   OVER (ORDER BY d) AS n
        FROM generate_series(%(cal_from)s::date, %(cal_to)s::date, interval '1 day') d
    ) days
), r AS (
    SELECT id, cluster_id, state, (submitted_at AT TIME ZONE %(tz)s)::date AS start
    FROM funding_fundingrequest
    WHERE submitted_at >= %(start)s AND submitted_at < %(end)s AND state = ANY(%(decided)s)
), m AS (
    SELECT e.request_id, e.to_state, r.start,
           greatest(r.start, max((e.created_at AT TIME ZONE %(tz)s)::date) OVER w) AS day,
           coalesce(lag(e.to_state) OVER w, 'submitted') AS holding,
           row_number() OVER w AS i
    FROM funding_requestevent e JOIN r ON r.id = e.request_id
    WHERE e.from_state <> e.to_state
    WINDOW w AS (PARTITION BY e.request_id ORDER BY e.created_at, e.id)
), seg AS (
    SELECT m.*, coalesce(lag(day) OVER (PARTITION BY request_id ORDER BY i), start) AS since
    FROM m
), per AS (
    SELECT request_id,
           sum(CASE WHEN holding = ANY(%(counted)s) THEN cal.n[seg.day - %(cal_from)s::date + 1] - cal.n[seg.since - %(cal_from)s::date + 1]
               ELSE 0 END) AS with_la,
           max(i) FILTER (WHERE holding = ANY(%(running)s) AND to_state <> ALL(%(running)s)) AS stop,
           max(i) FILTER (WHERE to_state = ANY(%(running)s)) AS restart,
           max(seg.day) FILTER (WHERE holding = ANY(%(running)s) AND to_state <> ALL(%(running)s))
               AS stop_day,
           max(seg.day) AS last_day
    FROM seg CROSS JOIN cal
    GROUP BY request_id
), clk AS (
    SELECT r.cluster_id, coalesce(per.with_la, 0) AS with_la,
           coalesce(cal.n[CASE WHEN per.stop > coalesce(per.restart, 0) THEN per.stop_day ELSE per.last_day END - %(cal_from)s::date + 1]
                    - cal.n[r.start - %(cal_from)s::date + 1], 0) AS since
    FROM r LEFT JOIN per ON per.request_id = r.id CROSS JOIN cal
)
SELECT cluster_id, count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY with_la),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY since),
       count(*) FILTER (WHERE with_la <= %(target)s)
FROM clk GROUP BY GROUPING SETS ((cluster_id), ())
"""

# The fair-share report: each school's and cluster's shares of roll, FSM and SEN support,
# its share of need by the weights, of the £ awarded, their ratio, the £ expected and
# the difference, spend per pupil; the Gini coefficients and the top decile's share.
FAIR_SHARE_SQL = (
    SCHOOLS_SQL
    + """
, sh AS (
    SELECT s.*,
           roll::float / nullif(sum(roll) OVER (), 0) AS roll_share,
           fsm::float / nullif(sum(fsm) OVER (), 0) AS fsm_share,
           sen::float / nullif(sum(sen) OVER (), 0) AS sen_share,
           awarded / nullif(sum(awarded) OVER (), 0) AS award_share,
           sum(awarded) OVER () AS total,
           round(awarded / nullif(roll, 0), 2) AS per_pupil,
           sum(roll) OVER c AS c_roll, sum(fsm) OVER c AS c_fsm, sum(sen) OVER c AS c_sen,
           sum(awarded) OVER c AS c_awarded, count(*) OVER c AS c_schools,
           row_number() OVER (ORDER BY awarded) AS award_rank, count(*) OVER () AS n
    FROM s WINDOW c AS (PARTITION BY cluster_id)
), need AS (
    SELECT sh.*,
           (%(w_roll)s * roll_share + %(w_fsm)s * fsm_share + %(w_sen)s * sen_share) AS need_share,
           (%(w_roll)s * c_roll::float / nullif(sum(roll) OVER (), 0)
            + %(w_fsm)s * c_fsm::float / nullif(sum(fsm) OVER (), 0)
            + %(w_sen)s * c_sen::float / nullif(sum(sen) OVER (), 0)) AS c_need_share,
           c_awarded / nullif(total, 0) AS c_award_share,
           round(c_awarded / nullif(c_roll, 0), 2) AS c_per_pupil,
           row_number() OVER (ORDER BY per_pupil) AS per_pupil_rank,
           count(per_pupil) OVER () AS n_per_pupil,
           sum(per_pupil) OVER () AS sum_per_pupil,
           2.0 * sum(award_rank * awarded) OVER () / nullif(n * total, 0) - (n + 1.0) / n AS gini
    FROM sh
)
SELECT need.*, award_share / nullif(need_share, 0) AS ratio,
       round(total * need_share::numeric, 2) AS expected,
       awarded - round(total * need_share::numeric, 2) AS difference,
       c_award_share / nullif(c_need_share, 0) AS c_ratio,
       round(total * c_need_share::numeric, 2) AS c_expected,
       c_awarded - round(total * c_need_share::numeric, 2) AS c_difference,
       2.0 * sum(per_pupil_rank * per_pupil) OVER () / nullif(n_per_pupil * sum_per_pupil, 0)
           - (n_per_pupil + 1.0) / n_per_pupil AS gini_per_pupil,
       sum(awarded) FILTER (WHERE award_rank > n - ceil(n / 10.0)) OVER () / nullif(total, 0)
           AS top_decile_share
FROM need
"""
    + ORDER
)

ALLOCATIONS_SQL = """
SELECT b.cluster_id, sum(e.amount)
FROM budgets_ledgerentry e
JOIN budgets_clusterbudget b ON b.id = e.budget_id
JOIN budgets_financialyear fy ON fy.id = b.year_id
WHERE fy.start_year = %(year)s AND e.kind IN ('allocation', 'adjustment')
GROUP BY b.cluster_id
"""


def floor_params() -> dict:
    from django.conf import settings
    from django.utils import timezone

    from funding.selectors import CLOCK_RUNNING, WITH_LA, _england_holidays
    from reports.statistics import Thresholds

    window = YearWindow(REPORT_YEAR)
    today = timezone.localdate()
    t = Thresholds()
    weights = {"roll": 1.0, "fsm": 1.0, "sen_support": 1.0}  # the bench's default weights
    total_w = sum(weights.values())
    return {
        "decided": list(DECIDED_STATES),
        "awarded": list(AWARDED_STATES),
        "start": window.start,
        "end": window.end,
        "year": REPORT_YEAR,
        "per_pupil": Decimal("6000.00"),
        "national": 2.5,
        "magnet_min": t.magnet_min_joiners,
        "magnet_ratio": t.magnet_ratio,
        "below_ratio": t.below_fair_share_ratio,
        "w_roll": weights["roll"] / total_w,
        "w_fsm": weights["fsm"] / total_w,
        "w_sen": weights["sen_support"] / total_w,
        "tz": settings.TIME_ZONE,
        "cal_from": window.start.date(),
        "cal_to": max(today, window.end.date()),
        "holidays": sorted(
            h
            for y in range(window.start.year, max(today, window.end.date()).year + 1)
            for h in _england_holidays(y)
        ),
        "counted": sorted(
            WITH_LA if settings.DECISION_CLOCK_PAUSES_WHEN_RETURNED else CLOCK_RUNNING
        ),
        "running": sorted(CLOCK_RUNNING),
        "target": settings.TARGET_WORKING_DAYS_TO_DECISION,
    }


def floor(kind: str = ReportKind.INCLUSIVENESS) -> int:
    """The floor of ``kind``, read in one snapshot as the report is; the school rows."""
    from django.db import transaction

    params = floor_params()
    statements = (
        (INCLUSIVENESS_SQL, CLOCK_SQL)
        if kind == ReportKind.INCLUSIVENESS
        else (FAIR_SHARE_SQL, ALLOCATIONS_SQL)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SET LOCAL jit = off")  # as the report's snapshot does
        n = 0
        for i, sql in enumerate(statements):
            cursor.execute(sql, params)
            # Every row read into Python, a chunk at a time: the process's peak memory
            # is then the report's, not the floor's.
            while rows := cursor.fetchmany(2000):
                n += len(rows) if i == 0 else 0
    return n


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
    lines = [
        f"{scale}: floor = hand-written SQL computing what each report shows ({n:,} school "
        f"rows); {repeat} pairs"
    ]
    target = 1.5 if scale == "county" else 10
    if with_files:
        warm_up()
    # The impact report, the forecast and the KPI pack have their own benches
    # (impact_bench.py, forecast_bench.py): this bench's data has no decisions for them.
    for kind in (ReportKind.INCLUSIVENESS, ReportKind.FAIR_SHARE):
        run = ReportRun.objects.create(
            kind=kind,
            scope_kind=ScopeKind.COUNTY,
            academic_year=REPORT_YEAR,
            parameters=services.default_parameters(REPORT_YEAR, "2.5"),
        )
        floors, computes, (result, as_of) = paired(
            lambda kind=kind: floor(kind), lambda run=run: services.compute(run), repeat
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
            t_html = timed(rendering.render_html_file, run, result, repeat=k)
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
            f"INSERT INTO {budgets} (cluster_id, stream_id, year_id, created_at, version) "
            f"SELECT id, {stream.pk}, {year.pk}, now(), 1 FROM {Cluster._meta.db_table}"
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


# The triage export's rows, each with its clock (working days with the LA and since
# first submitted, as funding.selectors.clock_days counts them: from its changes of
# state over a calendar of working days, to today while it is still with the LA) and
# the pupil's columns (the bench's officer sees them).
TRIAGE_FLOOR_SQL = """
WITH cal AS (  -- n[i]: working days from cal_from to its i-th day (cal_from is 1)
    SELECT array_agg(n ORDER BY day) AS n FROM (
        SELECT d::date AS day,
               count(*) FILTER (WHERE extract(isodow FROM d) < 6 AND d::date <> ALL(%(holidays)s))
                   OVER (ORDER BY d) AS n
        FROM generate_series(%(cal_from)s::date, %(cal_to)s::date, interval '1 day') d
    ) days
), m AS (
    SELECT e.request_id, e.to_state,
           greatest((r.submitted_at AT TIME ZONE %(tz)s)::date,
                    max((e.created_at AT TIME ZONE %(tz)s)::date) OVER w) AS day,
           (r.submitted_at AT TIME ZONE %(tz)s)::date AS start,
           coalesce(lag(e.to_state) OVER w, 'submitted') AS holding,
           row_number() OVER w AS i
    FROM funding_requestevent e JOIN funding_fundingrequest r ON r.id = e.request_id
    WHERE e.from_state <> e.to_state AND r.state <> 'draft' AND r.submitted_at IS NOT NULL
    WINDOW w AS (PARTITION BY e.request_id ORDER BY e.created_at, e.id)
), seg AS (
    SELECT m.*, coalesce(lag(day) OVER (PARTITION BY request_id ORDER BY i), start) AS since
    FROM m
), per AS (
    SELECT request_id,
           sum(CASE WHEN holding = ANY(%(counted)s) THEN cal.n[seg.day - %(cal_from)s::date + 1] - cal.n[seg.since - %(cal_from)s::date + 1]
               ELSE 0 END) AS with_la,
           max(i) FILTER (WHERE holding = ANY(%(running)s) AND to_state <> ALL(%(running)s)) AS stop,
           max(i) FILTER (WHERE to_state = ANY(%(running)s)) AS restart,
           max(seg.day) FILTER (WHERE holding = ANY(%(running)s) AND to_state <> ALL(%(running)s))
               AS stop_day,
           max(seg.day) AS last_day, (array_agg(to_state ORDER BY i DESC))[1] AS last_state
    FROM seg CROSS JOIN cal
    GROUP BY request_id
), r AS (
    SELECT r.*, (r.submitted_at AT TIME ZONE %(tz)s)::date AS start
    FROM funding_fundingrequest r WHERE r.state <> 'draft'
)
SELECT r.reference, r.state, s.name, s.urn, c.name, st.name, r.request_type, r.start,
       CASE WHEN r.start IS NOT NULL THEN coalesce(per.with_la, 0)
           + CASE WHEN r.state = ANY(%(running)s) AND coalesce(per.last_state, r.state) = ANY(%(counted)s)
                  THEN cal.n[%(today)s::date - %(cal_from)s::date + 1] - cal.n[coalesce(per.last_day, r.start) - %(cal_from)s::date + 1]
                  ELSE 0 END END,
       CASE WHEN r.start IS NULL THEN NULL
            WHEN r.state = ANY(%(running)s) THEN cal.n[%(today)s::date - %(cal_from)s::date + 1] - cal.n[r.start - %(cal_from)s::date + 1]
            WHEN per.request_id IS NULL THEN 0
            ELSE cal.n[CASE WHEN per.stop > coalesce(per.restart, 0) THEN per.stop_day ELSE per.last_day END - %(cal_from)s::date + 1]
                 - cal.n[r.start - %(cal_from)s::date + 1] END,
       r.total_cost, r.school_contribution, r.amount_requested, r.amount_awarded,
       r.pupil_initials, r.year_group, r.sex, r.primary_need, r.secondary_need
FROM r
JOIN clusters_school s ON s.id = r.school_id
JOIN clusters_cluster c ON c.id = r.cluster_id
JOIN funding_fundingstream st ON st.id = r.stream_id
LEFT JOIN per ON per.request_id = r.id
CROSS JOIN cal
ORDER BY r.created_at, r.id
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


def csv_floor(sql: str, params: dict | None = None) -> int:
    """The same rows from one query, written with the csv module."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(2000):
            writer.writerows(rows)
    return len(buffer.getvalue())


def triage_params() -> dict:
    from datetime import date

    from django.utils import timezone

    from funding.selectors import _england_holidays

    today = timezone.localdate()
    return {
        **floor_params(),
        "today": today,
        "cal_from": YearWindow(YEARS[0]).start.date(),
        "cal_to": max(today, date(YEARS[-1] + 2, 1, 1)),
        "holidays": sorted(
            h
            for y in range(YEARS[0], max(today.year, YEARS[-1] + 2) + 1)
            for h in _england_holidays(y)
        ),
    }


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
        params = triage_params() if sql is TRIAGE_FLOOR_SQL else None
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sql}) q", params)
            (n,) = cursor.fetchone()
        floors, times, _ = paired(lambda sql=sql, p=params: csv_floor(sql, p), fn, 3)
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
