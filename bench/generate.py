"""Build the demo data set (national scale by default) into a database and time it.

    .venv/bin/python bench/generate.py --scale national \
        --database-url postgres://postgres@127.0.0.1:5432/portal_demo_bench --fresh

``--fresh`` drops and re-creates that PostgreSQL database first (never point it at a
database you want to keep). Prints the time of each phase and fails (exit 1) when the
generation takes longer than ``--budget`` seconds (the issue's 10 minutes by default).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("county", "national"), default="national")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--today", default="2026-03-02")
    parser.add_argument("--fresh", action="store_true", help="drop and re-create the database")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds allowed")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")

    if args.fresh:
        if not args.database_url.startswith("postgres"):
            parser.error("--fresh only knows how to re-create a PostgreSQL database")
        recreate_postgres_database(args.database_url)

    # Point Django at the benchmark database before it reads its settings.
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from clusters.models import Cluster, Membership, School, SchoolYearStats

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f}s")

    started = time.perf_counter()
    call_command(
        "load_demo_county", "--scale", args.scale, "--seed", str(args.seed), "--today", args.today
    )
    elapsed = time.perf_counter() - started
    print(
        f"{args.scale}: {School.objects.count()} schools, {Cluster.objects.count()} clusters, "
        f"{SchoolYearStats.objects.count()} school-year rows, "
        f"{Membership.objects.count()} memberships"
    )
    print(f"generation time: {elapsed:.1f}s (budget {args.budget:.0f}s)")
    return 0 if elapsed <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
