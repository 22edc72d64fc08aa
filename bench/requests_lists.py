"""Time the request lists (triage queue, "my school's requests", API) and the header's
search at 50,000 requests.

    .venv/bin/python bench/requests_lists.py \\
        --database-url postgres://postgres@127.0.0.1:5432/portal_funding_bench [--requests 50000]

Drops and re-creates that PostgreSQL database (never point it at data you want to keep),
migrates it, inserts a county of 17 clusters and 300 schools and N requests in bulk,
then requests each page through Django's test client, signed in as the user who would
read it, and prints the median and 95th-percentile time and the number of queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_funding_bench"
        ),
    )
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()

    if args.database_url.startswith("postgres"):
        from generate import recreate_postgres_database

        recreate_postgres_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    users = build(args.requests)
    measure(users, args.runs)
    return 0


def build(n: int) -> dict:
    import random
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from clusters.models import Cluster, District, Membership, Phase, Role, School
    from funding.models import FundingRequest, FundingStream
    from funding.workflow import State

    rng = random.Random(2026)
    t0 = time.perf_counter()
    district = District.objects.create(code="D1", name="Bench district")
    clusters = Cluster.objects.bulk_create(
        [Cluster(district=district, code=f"C{i:02d}", name=f"Cluster {i}") for i in range(17)]
    )
    schools = School.objects.bulk_create(
        [
            School(urn=100000 + i, name=f"School {i}", la_code="931", phase=Phase.PRIMARY,
                   cluster=clusters[i % 17])
            for i in range(300)
        ]
    )  # fmt: skip
    streams = [
        FundingStream.objects.create(
            code=code, name=name, max_award=Decimal("15000"), max_duration_weeks=52,
            eligible_phases=["primary"],
        )
        for code, name in [("ENG", "Exceptional Needs Grant"), ("IMF", "Inclusive Mainstream Fund")]
    ]  # fmt: skip
    User = get_user_model()
    officer = User.objects.create_user("bench.send", password="x")
    finance = User.objects.create_user("bench.finance", password="x")
    senco = User.objects.create_user("bench.senco", password="x")
    Membership.objects.create(user=officer, role=Role.LA_SEND_OFFICER)
    Membership.objects.create(user=finance, role=Role.LA_FINANCE_OFFICER)
    Membership.objects.create(user=senco, role=Role.SENCO, school=schools[0])

    states = [State.SUBMITTED, State.READY, State.RETURNED, State.WITHDRAWN, State.DRAFT,
              State.APPROVED, State.DECLINED, State.CLOSED]  # fmt: skip
    needs = ["SEMH", "ASD", "SLCN", "MLD", "SPLD"]
    now = timezone.now()
    batch = []
    for i in range(n):
        school = schools[i % 300]
        state = rng.choices(states, weights=[10, 25, 5, 5, 5, 30, 10, 10])[0]
        batch.append(
            FundingRequest(
                reference=None if state == State.DRAFT else f"ENG-{2025 + i % 2}-{i:05d}",
                stream=streams[i % 2], school=school, cluster_id=school.cluster_id,
                created_by=senco, state=state,
                submitted_at=None if state == State.DRAFT else now - timedelta(hours=i % 8760),
                pupil_initials="AB", year_group=str(1 + i % 6), sex="F",
                primary_need=needs[i % 5], total_cost=Decimal("9000"),
                school_contribution=Decimal("6000"), amount_requested=Decimal(3000 + i % 5000),
            )
        )  # fmt: skip
    FundingRequest.objects.bulk_create(batch, batch_size=5000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"built {n} requests over 300 schools in {time.perf_counter() - t0:.1f} s")
    return {"officer": officer, "finance": finance, "senco": senco}


def measure(users: dict, runs: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from funding.models import FundingRequest

    cases = [
        ("triage queue (LA)", "officer", "/requests/triage/"),
        ("triage queue, last page", "officer", "/requests/triage/?page=last"),
        ("all requests, filtered (LA)", "officer", "/requests/?cluster=&state=ready&need=ASD&sort=amount"),
        ("all requests (finance)", "finance", "/requests/"),
        ("my school's requests (SENCO)", "senco", "/requests/"),
        ("API list (LA)", "officer", "/api/v1/requests/"),
        ("API list (SENCO)", "senco", "/api/v1/requests/"),
        # The header's search: by reference, pupil initials, school name (a typo too) or URN.
        ("search, a reference (LA)", "officer", "/search/?q=ENG-2026-04321"),
        ("search, part of a reference (LA)", "officer", "/search/?q=2026-043"),
        ("search, pupil initials (LA)", "officer", "/search/?q=AB"),
        ("search, school name (LA)", "officer", "/search/?q=School+123"),
        ("search, misspelt name (LA)", "officer", "/search/?q=Schol"),
        ("search, URN (LA)", "officer", "/search/?q=100123"),
        ("search, pupil initials (SENCO)", "senco", "/search/?q=AB"),
    ]  # fmt: skip
    total = FundingRequest.objects.count()
    print(f"{total} requests; {runs} runs per page (first run discarded as warm-up)")
    print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, who, url in cases:
        client = APIClient() if url.startswith("/api/") else Client()
        client.force_login(users[who])
        times = []
        queries = 0
        for i in range(runs + 1):
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if i:
                times.append(elapsed)
            queries = len(ctx.captured_queries)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{label:34} {statistics.median(times):10.1f} {p95:8.1f} {queries:8d}")

    # The CSV export streams every visible row: timed end to end, three runs.
    client = Client()
    client.force_login(users["officer"])
    times = []
    for _ in range(3):
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/requests/export.csv")
            rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"{'CSV export, ' + str(rows) + ' rows (LA)':34} {statistics.median(times):10.1f} "
        f"{max(times):8.1f} {len(ctx.captured_queries):8d}"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
