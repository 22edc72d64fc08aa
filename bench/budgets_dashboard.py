"""Time the county budget dashboard at county (17 clusters) and national (1,500) scale.

    .venv/bin/python bench/budgets_dashboard.py \\
        --database-url postgres://postgres@127.0.0.1:5432/portal_budgets_bench

The database named, and one beside it named with "_county", are dropped and re-created
first (never point it at data you want to keep). Each gets two funding streams, a budget
per cluster and stream for this financial year, and a year of ledger history per budget
(an allocation, commitments spread over the months, some releases and payments): 17
clusters in the county's, 1,500 in the national one. It requests the pages as an LA
officer through Django's test client and prints the median time and the number of
queries for the polled fragment (changed and unchanged) and one district's page at each
scale; then the county page at both scales in turn (one request each a round, so both
see the same load on a shared machine), and the national page's time as a ratio to the
county-scale page's. Clusters come 10 to a district; above 60 budgets the county page
shows a row per district.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
COMMITMENTS_PER_BUDGET = 12


def recreate_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(urlsplit(url).path)
        path.unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


CLUSTERS_PER_DISTRICT = 10  # as in the national demo: 150 LAs of 10 clusters


def build(first: int, count: int, streams, year, user, rng) -> None:
    """Add ``count`` clusters, each with a school, budgets and a year of ledger history."""
    from django.utils import timezone

    from budgets.models import ClusterBudget, EntryKind, LedgerEntry
    from clusters.models import Cluster, District, School
    from funding.models import FundingRequest

    districts = {}
    for n in {(first + i) // CLUSTERS_PER_DISTRICT for i in range(count)}:
        districts[n], _ = District.objects.get_or_create(
            code=f"B{n:03d}", name=f"Bench district {n:03d}"
        )
    clusters = Cluster.objects.bulk_create(
        [
            Cluster(
                district=districts[(first + i) // CLUSTERS_PER_DISTRICT],
                code=f"BC{first + i:05d}",
                name=f"Cluster {first + i:05d}",
            )
            for i in range(count)
        ]
    )
    schools = School.objects.bulk_create(
        [
            School(urn=900000 + first + i, name=f"School {first + i}", la_code="999", cluster=c)
            for i, c in enumerate(clusters)
        ]
    )
    budgets = ClusterBudget.objects.bulk_create(
        [ClusterBudget(cluster=c, stream=s, year=year) for c in clusters for s in streams]
    )
    school_of = {s.cluster_id: s for s in schools}
    requests = FundingRequest.objects.bulk_create(
        [
            FundingRequest(
                reference=f"{b.stream.code}-B-{b.pk:06d}-{n:02d}"[:20],
                stream=b.stream,
                school=school_of[b.cluster_id],
                cluster_id=b.cluster_id,
                state="approved",
                created_by=user,
                amount_requested=Decimal("5000.00"),
            )
            for b in budgets
            for n in range(COMMITMENTS_PER_BUDGET)
        ],
        batch_size=5000,
    )
    start = timezone.make_aware(datetime(year.start_year, 4, 2, 10))
    elapsed_days = max((timezone.now() - start).days, 1)
    entries = []
    by_budget = {}
    for r in requests:
        by_budget.setdefault((r.cluster_id, r.stream_id), []).append(r)
    for b in budgets:
        entries.append(
            LedgerEntry(
                budget=b,
                kind=EntryKind.ALLOCATION,
                amount=Decimal("100000.00"),
                reason="Bench allocation",
                created_by=user,
                created_at=start,
            )
        )
        for r in by_budget[(b.cluster_id, b.stream_id)]:
            when = start + timedelta(days=rng.randint(0, elapsed_days - 1))
            amount = Decimal(rng.randint(2000, 9000))
            entries.append(
                LedgerEntry(
                    budget=b,
                    kind=EntryKind.COMMITMENT,
                    amount=amount,
                    reason="Bench award",
                    created_by=user,
                    request=r,
                    school_id=r.school_id,
                    created_at=when,
                )
            )
            if rng.random() < 0.5:
                entries.append(
                    LedgerEntry(
                        budget=b,
                        kind=EntryKind.PAYMENT,
                        amount=(amount / 3).quantize(Decimal("0.01")),
                        reason="Bench instalment",
                        request=r,
                        school_id=r.school_id,
                        created_at=when + timedelta(days=1),
                    )
                )
            if rng.random() < 0.1:
                entries.append(
                    LedgerEntry(
                        budget=b,
                        kind=EntryKind.RELEASE,
                        amount=Decimal("500.00"),
                        reason="Bench underspend",
                        created_by=user,
                        request=r,
                        school_id=r.school_id,
                        created_at=when + timedelta(days=2),
                    )
                )
    LedgerEntry.objects.bulk_create(entries, batch_size=5000)


def measure(client, url, repeat, params=None):
    from django.db import connection, reset_queries

    times, queries, status = [], 0, None
    for _ in range(repeat):
        reset_queries()
        t0 = time.perf_counter()
        response = client.get(url, params or {})
        times.append(time.perf_counter() - t0)
        queries, status = len(connection.queries), response.status_code
    return statistics.median(times), queries, status


def use(database: str) -> None:
    """Point Django's one connection at the county's or the national database (the
    next query connects to it), so both pages are timed in turn in one process."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = database


def prepare(label: str, clusters: int):
    """A migrated database holding ``clusters`` clusters' budgets; its signed-in client."""
    import random

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from budgets.models import FinancialYear, LedgerEntry
    from clusters.models import Membership, Role
    from funding.models import FundingStream

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench.la", password="x")  # noqa: S106
    Membership.objects.create(user=user, role=Role.LA_FINANCE_OFFICER)
    streams = [
        FundingStream.objects.create(
            code="ENG",
            name="Exceptional Needs Grant",
            max_award=Decimal("15000"),
            max_duration_weeks=52,
        ),
        FundingStream.objects.create(
            code="IMF",
            name="Inclusive Mainstream Fund",
            max_award=Decimal("30000"),
            max_duration_weeks=52,
        ),
    ]
    year = FinancialYear.for_date(timezone.localdate())
    t0 = time.perf_counter()
    build(0, clusters, streams, year, user, random.Random(2026))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the statistics autovacuum keeps on a live database
    print(
        f"\n{label}: {clusters} clusters, {LedgerEntry.objects.count():,} ledger entries "
        f"(built in {time.perf_counter() - t0:.1f}s)"
    )
    client = Client()
    client.force_login(user)
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--national", type=int, default=1500, help="clusters at national scale")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    # The national data in the database named, the county's in one beside it.
    county_url = args.database_url + "_county"
    for url in (args.database_url, county_url):
        recreate_database(url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))

    import django
    import environ

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DEBUG = True  # to count queries
    settings.AXES_ENABLED = False
    names = {
        "county": environ.Env.db_url_config(county_url)["NAME"],
        "national": environ.Env.db_url_config(args.database_url)["NAME"],
    }
    engine = "PostgreSQL" if settings.USING_POSTGRES else "SQLite"
    print(
        f"{engine}; {COMMITMENTS_PER_BUDGET} awards per budget, 2 streams; median of {args.repeat}"
    )
    clients = {}
    for label, clusters in (("county", 17), ("national", args.national)):
        use(names[label])
        client = clients[label] = prepare(label, clusters)
        # Poll exactly what the page polls (its board's version and filters).
        body = client.get("/budgets/").content.decode()
        polled = re.search(r'<div id="county-live" hx-get="([^"]+)"', body).group(1)
        params = dict(parse_qsl(urlsplit(html.unescape(polled)).query))
        unchanged = measure(client, "/budgets/live/", args.repeat * 4, params)
        changed = measure(client, "/budgets/live/", args.repeat, {**params, "v": "0"})
        from clusters.models import District

        one = {"district": District.objects.order_by("pk").values_list("pk", flat=True)[0]}
        district_page = measure(client, "/budgets/", args.repeat, one)
        for name, (median, queries, status) in (
            ("live fragment, changed", changed),
            ("live fragment, unchanged (204)", unchanged),
            ("one district's page", district_page),
        ):
            print(f"  {name:32s} {median * 1000:8.1f} ms  {queries:2d} queries  HTTP {status}")

    # The county page at both scales in turn, one request each a round after a warm-up
    # request, so both see the same load on a shared machine: the ratio is of one run.
    times = {"county": [], "national": []}
    queries = {}
    for _ in range(args.repeat):
        for label in times:
            use(names[label])
            clients[label].get("/budgets/")
            median, queries[label], status = measure(clients[label], "/budgets/", 1)
            assert status == 200, status
            times[label].append(median)
    print("\nthe county dashboard page, timed in turn:")
    for label, got in times.items():
        print(
            f"  {label:9s} median {statistics.median(got) * 1000:7.1f} ms, "
            f"min {min(got) * 1000:7.1f} ms, {queries[label]} queries"
        )
    # Balances are kept as the ledger moves and the national page adds up its districts in
    # SQL, so it reads no more than a row per district: within 3x of the county page.
    ratio = statistics.median(times["national"]) / statistics.median(times["county"])
    best = min(times["national"]) / min(times["county"])
    print(
        f"national county page ÷ county-scale page: {ratio:.2f}× the medians, "
        f"{best:.2f}× the minimums (target under 3×)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
