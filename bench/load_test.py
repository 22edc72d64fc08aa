"""Load test: every role at once against the production stack, beside a floor.

    .venv/bin/python bench/load_test.py \
        --database-url postgres://postgres@127.0.0.1:5432/portal_load_county \
        [--build county|national] [--users 8 32] [--run-time 60] [--web-concurrency 3]

Uses the data set in ``--database-url`` (``--build`` makes it first with
bench/generate.py, the demo county's generator: ``--fresh``, so never a database you
keep), adds urgent requests for the chairs to decide, starts the production stack
(tests/stack.py: gunicorn, DEBUG off, a Celery worker and beat, Redis from
``REDIS_URL``, an object store) with the bench URLconf that adds the floor view
(bench/loadtest/floor.py), and runs locust headless (bench/loadtest/locustfile.py) for
``--run-time`` seconds at each number of users. Prints, per page: requests, throughput,
p50/p95/p99 and errors, and each page's p95 as a ratio to the floor's in the same run,
with the machine's load.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOCUST = str(Path(sys.executable).with_name("locust"))
FLOOR = "FLOOR /bench/floor/ (triage rows)"
URGENT_PER_CHAIR = 60
CHAIRS = 8


def build(database_url: str, scale: str) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            "--scale",
            scale,
            "--database-url",
            database_url,
            "--fresh",
            "--budget",
            "3600",
        ],
        check=True,
        cwd=ROOT,
    )


def people(database_url: str) -> dict:
    """Who signs in, and urgent requests (ready, funded) for each chair to decide: new
    ones for every run, since each is decided once."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.db import connections

    try:
        return _people()
    finally:
        connections.close_all()


def _people() -> dict:
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from budgets.services import adjust, budget_for
    from clusters.models import Membership, Role, SchoolYearStats
    from demo.clusters import LA_FINANCE, LA_SEND
    from demo.context import DEMO_PASSWORD
    from funding.models import FundingStream
    from panels.models import MeetingStatus, Panel
    from panels.selectors import current_chair
    from tests.factories import FundingRequestFactory
    from tests.panels.factories import meeting_on

    User = get_user_model()
    stream = FundingStream.objects.order_by("pk").first()
    run = secrets.token_hex(3).upper()
    chairs: dict[str, list[int]] = {}
    today = timezone.localdate()
    for panel in Panel.objects.select_related("cluster").order_by("pk"):
        if len(chairs) >= CHAIRS:
            break
        # A chair's action is ratified at the panel's next meeting: give it one if it
        # has none (the national data set's panels have no meetings ahead).
        ahead = panel.meetings.filter(status=MeetingStatus.SCHEDULED, date__gte=today)
        if not ahead.exists():
            meeting_on(panel, today + timedelta(days=21))
        chair = current_chair(panel)
        if chair is None:
            continue
        chair_school = chair.user.memberships.filter(school__isnull=False).first()
        school = panel.cluster.schools.exclude(pk=getattr(chair_school, "school_id", None)).first()
        senco = Membership.objects.filter(school=school, role=Role.SENCO).first()
        # Enough on the budget for every award of this run, added as the finance officer
        # would (the demo budgets are partly spent, and runs add up).
        adjust(
            budget_for(panel.cluster_id, stream.pk),
            Decimal(URGENT_PER_CHAIR * 100),
            user=User.objects.get(username=LA_FINANCE),
            reason=f"Load test {run}: urgent requests",
        )
        ids = []
        for i in range(URGENT_PER_CHAIR):
            fr = FundingRequestFactory(
                stream=stream,
                school=school,
                created_by=senco.user if senco else chair.user,
                request_type="urgent",
                state="ready",
                reference=f"LT-{run}-{len(chairs)}-{i:03d}",
                submitted_at=timezone.now(),
                total_cost=Decimal("6100.00"),
                school_contribution=Decimal("6000.00"),
                amount_requested=Decimal("100.00"),
            )
            ids.append(fr.pk)
        chairs[chair.user.username] = ids
    sencos = list(
        Membership.objects.filter(role=Role.SENCO, ends_on__isnull=True)
        .order_by("pk")
        .values_list("user__username", flat=True)[:64]
    )
    return {
        "password": DEMO_PASSWORD,
        "sencos": sencos,
        "officer": LA_SEND,
        "officer_pk": User.objects.get(username=LA_SEND).pk,
        "finance": LA_FINANCE,
        "chairs": chairs,
        "stream": stream.pk,
        "year": str(
            SchoolYearStats.objects.order_by("-academic_year").values_list(
                "academic_year", flat=True
            )[0]
        ),
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def run_locust(url: str, users: int, seconds: int, people_file: Path, prefix: Path) -> None:
    env = {
        **os.environ,
        "LOADTEST_PEOPLE": str(people_file),
        "LOADTEST_MEASURE_SECONDS": str(seconds),
        "LOADTEST_SIGN_IN_FILE": f"{prefix}_sign_in.json",
    }
    with open(f"{prefix}_locust.log", "wb") as log:
        _locust(url, users, seconds, prefix, env, log)


def _locust(url, users, seconds, prefix, env, log) -> None:
    subprocess.run(
        [
            LOCUST,
            "-f",
            str(ROOT / "bench" / "loadtest" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "--run-time",  # a limit only: the locustfile stops the measurement
            f"{seconds + 300}s",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "10",
        ],
        check=False,  # locust exits 1 when any request failed: the table says how many
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def table(prefix: Path, users: int, seconds: int, machine: str) -> list[str]:
    with open(f"{prefix}_stats.csv", newline="") as f:
        # Rows with no request since the reset (the sign-in pages) have no figures.
        rows = [r for r in csv.DictReader(f) if int(r["Request Count"])]
    floor = next((r for r in rows if r["Name"] == FLOOR), None)
    floor_p95 = float(floor["95%"]) if floor and float(floor["95%"]) else None
    lines = [
        f"### {users} users, {seconds} s ({machine})",
        "",
        "| page | requests | req/s | p50 ms | p95 ms | p99 ms | errors | p95 / floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"] != FLOOR, r["Name"])):
        p95 = float(r["95%"] or 0)
        ratio = f"{p95 / floor_p95:.2f}x" if floor_p95 and r["Name"] != "Aggregated" else ""
        lines.append(
            f"| {r['Name'] if r['Name'] != 'Aggregated' else '**all**'} | {r['Request Count']} "
            f"| {float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | {r['99%']} "
            f"| {r['Failure Count']} | {ratio} |"
        )
    return lines


def sign_ins(prefix: Path, whole: int) -> str:
    try:
        s = json.loads(Path(f"{prefix}_sign_in.json").read_text())
    except FileNotFoundError:
        return "\nNot every user signed in: the run stopped at its time limit."
    return (
        f"\nBefore the measurement: {s['users']} users signed in at once through the form "
        f"(p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms, max {s['max']:.0f} ms, "
        f"{s['failures']} failed); whole run {whole} s."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--build", choices=("county", "national"))
    parser.add_argument("--users", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--run-time", type=int, default=60)
    parser.add_argument("--web-concurrency", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print("the load test needs REDIS_URL", file=sys.stderr)
        return 2
    if args.build:
        build(args.database_url, args.build)

    from tests.stack import Stack, StackError

    workdir = Path(tempfile.mkdtemp(prefix="load-test-"))
    who = people(args.database_url)
    print(
        f"{len(who['sencos'])} SENCOs, {len(who['chairs'])} chairs with "
        f"{URGENT_PER_CHAIR} urgent requests each, LA officers {who['officer']} and "
        f"{who['finance']}; {load()}",
        flush=True,
    )
    stack = Stack(
        database_url=args.database_url,
        redis_url=redis_url,
        workdir=workdir,
        settings_module="bench.loadtest.settings",
        web_concurrency=args.web_concurrency,
        workers=args.workers,
        # Two-factor off: many simulated officers share one login, and an authenticator
        # code works once (bin/prod-check signs in with one).
        env={"OTP_ENFORCED": "false"},
    )
    out: list[str] = []
    try:
        with stack:
            print(f"stack up at {stack.urls[0]}: {stack.timings}; logs in {workdir}", flush=True)
            for users in args.users:
                prefix = workdir / f"u{users}"
                people_file = workdir / f"people-u{users}.json"
                people_file.write_text(
                    json.dumps(who if users == args.users[0] else people(args.database_url))
                )
                before = load()
                started = time.monotonic()
                run_locust(stack.urls[0], users, args.run_time, people_file, prefix)
                stack.check_alive()
                machine = f"before: {before}; after: {load()}"
                lines = table(prefix, users, args.run_time, machine)
                lines.append(sign_ins(prefix, round(time.monotonic() - started)))
                print("\n".join(lines) + "\n", flush=True)
                out.extend([*lines, ""])
    except StackError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    (workdir / "results.md").write_text("\n".join(out))
    print(f"results in {workdir / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
