"""The production smoke check behind ``bin/prod-check``.

Starts the production stack on this machine (tests/stack.py: the Procfile's release,
web, worker and beat with ``portal.settings``, DEBUG off, static files collected, a
database of its own on the PostgreSQL of ``DATABASE_URL``, Redis from ``REDIS_URL``, an
S3-compatible object store), then goes through one request as the people who handle it,
over HTTP as their browsers would behind the LA's TLS proxy: the SENCO drafts an urgent
request, uploads its support plan and submits it; the LA SEND officer signs in with her
authenticator code and triages it; the rota's chair proposes a decision by chair's
action and the officer confirms it; the officer asks for a report, a worker produces it
and she downloads it. Each step is printed with its time; any failure prints the
processes' logs and exits 1. Everything is stopped and the database dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Prod-check-passw0rd!"  # noqa: S105 - a throwaway database's people
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def say(step: str, started: float) -> None:
    print(f"  {time.monotonic() - started:6.1f} s  {step}", flush=True)


def server_url(database_url: str) -> str:
    return database_url.rsplit("/", 1)[0]


def recreate(database_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{server_url(database_url)}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(database_url: str) -> dict[str, str]:
    """A cluster with a panel meeting in a fortnight and money on its budget; a SENCO,
    three heads (the first chairs), an LA SEND officer with an authenticator; a year of
    school figures. Through the test factories and the product's services."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clusters.models import Role
    from tests.factories import (
        FundingStreamFactory,
        SchoolFactory,
        SchoolYearStatsFactory,
        make_user,
    )
    from tests.panels.factories import build_panel, fund, head_of_new_school, meeting_on

    school = SchoolFactory(name="Prod Check Primary")
    cluster = school.cluster
    senco = make_user(Role.SENCO, school=school, username="check.senco")
    officer = make_user(Role.LA_SEND_OFFICER, username="check.officer")
    heads = [head_of_new_school(cluster, f"check.head{i}") for i in (1, 2, 3)]
    panel = build_panel(cluster, officer, heads)
    meeting_on(panel, timezone.localdate() + timedelta(days=14))
    stream = FundingStreamFactory()
    fund(cluster, stream)
    for each in cluster.schools.all():
        SchoolYearStatsFactory(school=each, academic_year=2025)
    for user in (senco, officer, *heads):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    device = TOTPDevice.objects.create(user=officer, name="Authenticator", confirmed=True)
    return {"chair": heads[0].username, "officer_pk": str(officer.pk), "totp_key": device.key}


def totp(key: str) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(key)).token():06d}"


def the_journey(stack, people: dict[str, str], started: float) -> None:
    from tests.stack import Browser, wait_until

    web = stack.urls[0]
    today = time.strftime("%Y-%m-%d")

    senco = Browser(web).sign_in("check.senco", PASSWORD)
    say("SENCO signed in (sign-in form)", started)
    stream = senco.api("GET", "/api/v1/streams/").json()["results"][0]["id"]
    from datetime import date

    start = date.today() + timedelta(days=7)
    created = senco.api(
        "POST",
        "/api/v1/requests/",
        {
            "stream": stream,
            "request_type": "urgent",
            "pupil_initials": "AB",
            "year_group": "5",
            "sex": "F",
            "primary_need": "ASD",
            "secondary_need": "SLCN",
            "sen_support_since": str(date.today() - timedelta(days=300)),
            "ordinarily_available_provision": "Visual timetable, ear defenders",
            "agencies_involved": "Autism outreach",
            "outcomes_sought": "Attends full days",
            "start_date": str(start),
            "end_date": str(start + timedelta(days=210)),
            "parental_consent": True,
            "consent_date": today,
            "parent_voice": "Mornings are hard",
            "pupil_voice": "I like lego club",
            "cycles": [
                {
                    "assess": "Sensory profile",
                    "plan": "Movement breaks",
                    "duration_weeks": 10,
                    "impact": "Calmer mornings",
                }
            ],
            "provision_lines": [
                {
                    "description": "TA support",
                    "hours_per_week": "12",
                    "weeks": "30",
                    "hourly_rate": "25.00",
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    pk = created.json()["id"]
    say(f"SENCO drafted urgent request {pk} (API)", started)
    uploaded = senco.post(
        f"/requests/{pk}/documents/",
        {"kind": "support_plan"},
        files={"file": ("support-plan.pdf", PDF, "application/pdf")},
    )
    assert uploaded.status_code == 200 and "support-plan.pdf" in uploaded.text, uploaded.text[
        -1500:
    ]
    assert len(stack.bucket_names()) == 1, stack.bucket_names()
    say("SENCO uploaded the support plan (page; stored in the object store)", started)
    submitted = senco.api("POST", f"/api/v1/requests/{pk}/submit/", {})
    assert submitted.status_code == 200, submitted.text
    reference = submitted.json()["reference"]
    say(f"SENCO submitted it: {reference} (API)", started)

    officer = Browser(web)
    answer = officer.post("/sign-in/", {"username": "check.officer", "password": PASSWORD})
    assert "/account/two-factor/" in answer.url, f"no two-factor step: {answer.url}"
    path = answer.url.split(web, 1)[1]
    answer = officer.post(path, {"code": totp(people["totp_key"])})
    assert answer.status_code == 200 and "/account/two-factor/" not in answer.url, answer.url
    say("LA SEND officer signed in with her authenticator code", started)
    triaged = officer.api("POST", f"/api/v1/requests/{pk}/triage/", {})
    assert triaged.status_code == 200 and triaged.json()["state"] == "ready", triaged.text
    say("LA SEND officer triaged it: ready (API)", started)

    chair = Browser(web).sign_in(people["chair"], PASSWORD)
    review = date.today() + timedelta(days=90)
    proposed = chair.post(
        f"/panels/requests/{pk}/chairs-action/",
        {
            "outcome": "approved",
            "officer": people["officer_pk"],
            "rationale": "The placement is at risk this week.",
            "review_date_0": str(review.day),
            "review_date_1": str(review.month),
            "review_date_2": str(review.year),
        },
    )
    assert "/panels/chairs-actions/" in proposed.url, proposed.text[-1500:]
    say("Chair proposed approval by chair's action (page)", started)
    proposal = proposed.url.split(web, 1)[1]
    confirmed = officer.post(f"{proposal}confirm/", page=proposal)
    assert "/panels/decisions/" in confirmed.url, confirmed.text[-1500:]
    state = officer.api("GET", f"/api/v1/requests/{pk}/").json()["state"]
    assert state == "approved", state
    say(f"LA SEND officer confirmed it: {reference} {state} (page)", started)

    asked = officer.post(
        "/reports/", {"kind": "inclusiveness", "scope": "county", "academic_year": "2025"}
    )
    assert asked.status_code == 200 and "/reports/" in asked.url, asked.text[-1500:]
    run = int(asked.url.rstrip("/").rsplit("/", 1)[1])
    say(f"LA SEND officer asked for the county inclusiveness report (run {run})", started)

    def finished():
        got = officer.api("GET", f"/api/v1/report-runs/{run}/").json()
        return got if got["status"] in ("succeeded", "failed") else None

    got = wait_until(finished, 180, "the worker to produce the report", every=0.5)
    assert got["status"] == "succeeded", got
    say("A worker produced it (polled through the API)", started)
    pdf = officer.get(f"/reports/{run}/download/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.status_code
    say(f"LA SEND officer downloaded its PDF ({len(pdf.content):,} bytes)", started)
    stack.check_alive()
    assert not any(stack.private_media_root.rglob("*")), "a file was written to local disk"
    say("Every process still up; nothing written to any node's disk", started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reuse-static",
        action="store_true",
        help="skip collectstatic when staticfiles/ already has a manifest",
    )
    parser.add_argument("--keep", action="store_true", help="keep the check's database")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        print("bin/prod-check needs DATABASE_URL (PostgreSQL) and REDIS_URL", file=sys.stderr)
        return 2
    name = f"{database_url.rsplit('/', 1)[1]}_prodcheck"
    check_url = f"{server_url(database_url)}/{name}"

    from tests.stack import Stack, StackError

    started = time.monotonic()
    print(f"Production check: database {name}, Redis {redis_url.split('@')[-1]}", flush=True)
    recreate(database_url, name)
    say(f"created database {name}", started)
    collect = not (args.reuse_static and (ROOT / "staticfiles" / "staticfiles.json").exists())
    workdir = Path(tempfile.mkdtemp(prefix="prod-check-"))
    people: dict[str, str] = {}

    def seeded(_env):
        people.update(seed(check_url))
        say("seeded a cluster, its panel, budget and people", started)

    stack = Stack(
        database_url=check_url,
        redis_url=redis_url,
        workdir=workdir,
        settings_module="portal.settings",
        collectstatic=collect,
        before_processes=seeded,
    )
    failed = False
    try:
        with stack:
            for what, seconds in stack.timings:
                print(f"  {'':6}    {what}: {seconds:.1f} s", flush=True)
            say(f"stack up: web {stack.urls[0]}, logs in {workdir}", started)
            try:
                the_journey(stack, people, started)
            except (AssertionError, StackError, TimeoutError) as exc:
                failed = True
                print(f"FAILED: {exc}\n\n{stack.logs()}", file=sys.stderr)
    except StackError as exc:
        failed = True
        print(f"FAILED to start: {exc}", file=sys.stderr)
    finally:
        say("stack stopped", started)
        if not args.keep:
            recreate(database_url, name, drop_only=True)
    print(
        "Production check FAILED"
        if failed
        else f"Production check passed in {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
