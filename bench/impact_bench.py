"""Benchmark the impact report at county and national scale against a hand-written SQL floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_impact_bench \\
        .venv/bin/python bench/impact_bench.py [county|national|all] [--fraction F] [--reuse [--escalations]]

Builds on ``bench/reports_bench.build`` (schools, clusters, requests in bulk by
INSERT ... SELECT generate_series; the database is emptied first, so never point it at
real data), then adds, in bulk: a pupil key on 3 requests in 4 (pupils sharing keys
across requests), a panel decision for every decided request (award or decline) dated
20 days after submission, an outcome review for every closed request, and escalation
records (national: 500,000; county: in proportion) for pupils of the report's year,
each a few months after the decision. ``--fraction F`` builds F of the national size
(the note says so when it is used).

The floor is hand-written PostgreSQL computing the same aggregates (the cohort by
DISTINCT ON, events by FILTER, outcomes by GROUPING SETS, which SQLite lacks; and the
newer sections: support beyond money, decisions by sex, year group, need, phase, cluster
and need and band in one GROUPING SETS statement, the moderation spread); the
report is ``reports.services.compute`` as the worker runs it (its one statement plus
the figures in Python). They are timed alternately after a warm-up (the median of
pairs) and the ratio printed. Target (issue 13): within 1.5x of the floor, national
under 60 s.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))

import reports_bench as rb  # noqa: E402 -- sets Django up
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from clusters.models import School  # noqa: E402
from funding.models import FundingRequest  # noqa: E402
from reports import services  # noqa: E402
from reports.models import ReportKind, ReportRun, ScopeKind  # noqa: E402
from reports.queries import YearWindow  # noqa: E402

YEAR = 2023  # followed 12 and 24 months by the data's dates (submissions 2021-2026)
ESCALATIONS = {"national": 500_000}


def build(scale: str, fraction: float) -> dict:
    spec = dict(rb.SCALES[scale])
    if scale == "national" and fraction != 1:
        for k in ("schools", "clusters", "districts", "requests"):
            spec[k] = max(1, int(spec[k] * fraction))
        rb.SCALES["national-part"] = spec
        scale = "national-part"
    t0 = time.perf_counter()
    rb.build(scale)
    n_req = spec["requests"]
    with connection.cursor() as c:
        for table in ("reports_escalationrecord", "reports_escalationimport",
                      "panels_outcomeresult", "panels_outcomereview", "panels_decision"):  # fmt: skip
            c.execute(f"TRUNCATE {table} CASCADE")
        # Pupils: 3 requests in 4 carry a key; pupil p has requests p, p + n/2 (another
        # school and, by the random dates, often another year).
        c.execute(
            f"UPDATE funding_fundingrequest SET pupil_key = md5('pupil' || (id % {n_req // 2}))"
            " WHERE id % 4 <> 0"
        )
        c.execute("SELECT id FROM auth_user WHERE username = %s", ["bench"])
        user = c.fetchone()[0]
        c.execute(
            f"""
            INSERT INTO panels_decision (request_id, outcome, amount, rationale, conditions,
                review_date, chair_id, by_chairs_action, la_officer_id, decided_at)
            SELECT id,
                   CASE WHEN state = 'declined' THEN 'declined' ELSE 'approved' END,
                   CASE WHEN state = 'declined' THEN NULL ELSE COALESCE(amount_awarded, 1000) END,
                   'Bench.', '',
                   CASE WHEN state = 'declined' THEN NULL
                        ELSE (submitted_at + interval '1 year')::date END,
                   {user}, TRUE, {user}, submitted_at + interval '20 days'
            FROM funding_fundingrequest
            WHERE state IN ('approved', 'partially_approved', 'active', 'review_due',
                            'closed', 'declined')
            """
        )
        c.execute(
            f"""
            INSERT INTO panels_outcomereview (request_id, result, evidence, amount_spent,
                reported_by_id, reported_at)
            SELECT id, (ARRAY['met', 'partly', 'not_met'])[1 + id % 3], 'Bench.', 1000,
                   {user}, now()
            FROM funding_fundingrequest WHERE state = 'closed'
            """
        )
    n_esc = add_escalations(n_req)
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM panels_decision")
        n_dec = c.fetchone()[0]
    print(
        f"{scale}: pupils, {n_dec:,} decisions and {n_esc:,} escalation records "
        f"added; built in {time.perf_counter() - t0:.1f} s"
    )
    return {"scale": scale, "requests": n_req, "escalations": n_esc, "schools": spec["schools"]}


def add_escalations(n_req: int) -> int:
    """The LA's escalation extract, in bulk: 500,000 rows for 2,000,000 requests, so many
    in proportion to fewer (``--escalations`` redoes only these on a reused data set)."""
    escalations = int(500_000 * n_req / 2_000_000)
    with connection.cursor() as c:
        c.execute("TRUNCATE reports_escalationrecord, reports_escalationimport CASCADE")
        c.execute("INSERT INTO reports_escalationimport (filename, status, rows_read, records,"
                  " errors, created_at) VALUES ('bench', 'succeeded', 0, 0, '[]', now())"
                  " RETURNING id")  # fmt: skip
        source = c.fetchone()[0]
        kinds = "ARRAY['ehcna_requested', 'ehcp_issued', 'specialist_placement', " \
                "'ap_placement', 'permanent_exclusion']"  # fmt: skip
        # Escalations for decided pupils: a few months after one of their decisions. About
        # half the requests drawn have a pupil key and a decision, so twice as many are
        # drawn as kept (7919 is prime to the request counts: every draw a new request).
        c.execute(
            f"""
            INSERT INTO reports_escalationrecord (pupil_key, kind, "on", source_id)
            SELECT pupil_key, kind, on_date, {source} FROM (
                SELECT DISTINCT ON (pupil_key, kind, on_date) pupil_key, kind, on_date, g
                FROM (
                    SELECT g, r.pupil_key, ({kinds})[1 + (g % 5)] AS kind,
                           ((d.decided_at + (interval '1 day' * (30 + (g * 37) % 700))))::date
                               AS on_date
                    FROM generate_series(1, {2 * escalations}) AS g
                    JOIN funding_fundingrequest r ON r.id = (
                        SELECT min(id) FROM funding_fundingrequest) + (g::bigint * 7919) % {n_req}
                    JOIN panels_decision d ON d.request_id = r.id
                    WHERE r.pupil_key <> ''
                ) e
                ORDER BY pupil_key, kind, on_date, g
            ) kept
            ORDER BY g LIMIT {escalations}
            """
        )
        c.execute("ANALYZE")
        c.execute("SELECT count(*) FROM reports_escalationrecord")
        return c.fetchone()[0]


FLOOR_SQL = """
WITH d AS (
    SELECT DISTINCT ON (r.pupil_key) r.pupil_key,
           bool_or(dd.outcome <> 'declined') OVER (PARTITION BY r.pupil_key) AS funded,
           (dd.decided_at AT TIME ZONE 'Europe/London')::date AS index_date
    FROM panels_decision dd JOIN funding_fundingrequest r ON r.id = dd.request_id
    WHERE r.pupil_key <> '' AND dd.outcome IN ('approved', 'partially_approved', 'declined')
    ORDER BY r.pupil_key, (dd.outcome = 'declined'), dd.decided_at
),
c AS (
    SELECT * FROM d WHERE index_date >= %(start)s AND index_date < %(end)s
),
e AS (
    SELECT c.pupil_key, c.funded, e.kind,
           bool_or(e."on" <= c.index_date + interval '12 months'
                   AND c.index_date + interval '12 months' <= %(as_of)s) AS in12,
           bool_or(e."on" <= c.index_date + interval '24 months'
                   AND c.index_date + interval '24 months' <= %(as_of)s) AS in24
    FROM c JOIN reports_escalationrecord e ON e.pupil_key = c.pupil_key AND e."on" >= c.index_date
    GROUP BY 1, 2, 3
)
SELECT 'pupils', funded::text, '', count(*),
       count(*) FILTER (WHERE index_date + interval '12 months' <= %(as_of)s),
       count(*) FILTER (WHERE index_date + interval '24 months' <= %(as_of)s)
FROM c GROUP BY funded
UNION ALL
SELECT 'event', funded::text, kind, 0, count(*) FILTER (WHERE in12),
       count(*) FILTER (WHERE in24)
FROM e GROUP BY funded, kind
UNION ALL
SELECT 'outcome', coalesce(r.primary_need, s.phase, st.name, b.need), o.result, count(*), 0, 0
FROM panels_outcomereview o JOIN funding_fundingrequest r ON r.id = o.request_id
JOIN clusters_school s ON s.id = r.school_id
JOIN funding_fundingstream st ON st.id = r.stream_id
LEFT JOIN funding_needband b ON b.id = r.band_id
WHERE r.submitted_at >= %(start_at)s AND r.submitted_at < %(end_at)s
GROUP BY GROUPING SETS ((r.primary_need, o.result), (b.need, b.band, o.result),
                        (s.phase, o.result), (st.name, o.result))
"""


# The newer sections (issue 13): support beyond money, decisions by pupil group and
# cluster (equalities and consistency), and the moderation spread.
NEWER_FLOOR_SQL = [
    """SELECT a.kind, d.outcome <> 'declined', count(*),
              count(*) FILTER (WHERE a.due_by <= %(as_of)s)
       FROM panels_decisionaction a JOIN panels_decision d ON d.id = a.decision_id
       WHERE d.decided_at >= %(start_at)s AND d.decided_at < %(end_at)s
       GROUP BY 1, 2""",
    """SELECT r.sex, r.year_group, r.primary_need, s.phase, c.name, b.band,
              count(*), count(*) FILTER (WHERE d.outcome <> 'declined'),
              coalesce(sum(d.amount) FILTER (WHERE d.outcome <> 'declined'), 0),
              count(*) FILTER (WHERE d.outcome <> 'declined' AND b.usual_award_max > 0),
              count(*) FILTER (WHERE d.outcome <> 'declined' AND b.usual_award_max > 0
                               AND d.amount BETWEEN b.usual_award_min AND b.usual_award_max)
       FROM panels_decision d JOIN funding_fundingrequest r ON r.id = d.request_id
       JOIN clusters_school s ON s.id = r.school_id JOIN clusters_cluster c ON c.id = r.cluster_id
       LEFT JOIN funding_needband b ON b.id = r.band_id
       WHERE d.decided_at >= %(start_at)s AND d.decided_at < %(end_at)s
         AND d.outcome IN ('approved', 'partially_approved', 'declined')
       GROUP BY GROUPING SETS ((r.sex), (r.year_group), (r.primary_need), (s.phase), (c.name),
                               (r.primary_need, b.band), ())""",
    """SELECT c.name, count(*), avg(spread) FROM (
           SELECT r.cluster_id, max(v.evidence_of_need + v.graduated_approach
                  + v.likely_impact + v.value_for_money) - min(v.evidence_of_need
                  + v.graduated_approach + v.likely_impact + v.value_for_money) AS spread
           FROM panels_moderationview v JOIN panels_agendaitem i ON i.id = v.item_id
           JOIN panels_meeting m ON m.id = i.meeting_id
           JOIN funding_fundingrequest r ON r.id = i.request_id
           WHERE m.date >= %(start)s AND m.date < %(end)s
           GROUP BY v.item_id, r.cluster_id HAVING count(*) >= 2) x
       JOIN clusters_cluster c ON c.id = x.cluster_id GROUP BY c.name""",
]


def floor() -> int:
    window = YearWindow(YEAR)
    params = {
        "start": window.start.date(),
        "end": window.end.date(),
        "start_at": window.start,
        "end_at": window.end,
        "as_of": datetime.now().date(),
    }
    n = 0
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        for sql in [FLOOR_SQL, *NEWER_FLOOR_SQL]:
            cursor.execute(sql, params)
            n += len(cursor.fetchall())
    return n


def bench(scale: str, fraction: float, reuse: bool, escalations: bool = False) -> list[str]:
    expected = rb.SCALES[scale]["schools"]
    if scale == "national" and fraction != 1:
        expected = int(expected * fraction)
    if reuse and School.objects.count() == expected:
        info = {"scale": scale, "requests": FundingRequest.objects.count(),
                "escalations": None, "schools": expected}  # fmt: skip
        if escalations:
            info["escalations"] = add_escalations(info["requests"])
    else:
        info = build(scale, fraction)
    run = ReportRun.objects.create(
        kind=ReportKind.IMPACT,
        scope_kind=ScopeKind.COUNTY,
        academic_year=YEAR,
        parameters=services.default_parameters(YEAR)
        | {"unit_costs": {"specialist_placement": "25000.00", "ap_placement": "18000.00"}},
    )
    repeat = 9 if scale == "county" else 3
    floors, reports, out = rb.paired(floor, lambda: services.compute(run), repeat)
    f, r = statistics.median(floors), statistics.median(reports)
    result, _ = out
    summary = {s[0]: s[1] for s in result["summary"]}
    label = info["scale"] + (
        f" (national x {fraction})" if info["scale"] == "national-part" else ""
    )
    return [
        f"{label}: {info['schools']:,} schools, {info['requests']:,} requests, "
        f"{info['escalations'] or 'existing'} escalation rows; "
        f"pupils funded {summary['Pupils funded (first award in the year)']}, "
        f"declined {summary['Pupils declined and never funded (comparison group)']}",
        f"  impact report: floor {f:.3f} s (min {min(floors):.3f}), report {r:.3f} s "
        f"(min {min(reports):.3f}): {r / f:.2f}x the floor",
    ]


def main(argv: list[str]) -> None:
    which = next((a for a in argv if not a.startswith("-") and not a[0].isdigit()), "county")
    fraction = float(argv[argv.index("--fraction") + 1]) if "--fraction" in argv else 1.0
    reuse = "--reuse" in argv
    call_command("migrate", verbosity=0)
    print(f"impact bench {datetime.now():%Y-%m-%d %H:%M} on {connection.vendor}")
    lines = []
    for scale in ["county", "national"] if which == "all" else [which]:
        lines += bench(scale, fraction, reuse, escalations="--escalations" in argv)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
