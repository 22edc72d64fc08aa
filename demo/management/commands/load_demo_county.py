"""Load the demo county (or the national-scale benchmark data set) from a seed."""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from clusters.models import School
from demo import context as demo


def resolve(dotted: str) -> Any:
    """The object at ``module.path.name``, or None when its app has not written it yet.

    Only the module itself (or a parent package) being absent counts as "not written":
    an import error inside a module that exists is a bug, and is raised.
    """
    module_path, _, name = dotted.rpartition(".")
    parts = module_path.split(".")
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        if exc.name in {".".join(parts[: i + 1]) for i in range(len(parts))}:
            return None
        raise
    return getattr(module, name, None)


def run_steps(ctx: demo.DemoContext) -> None:
    for dotted in demo.DEMO_STEPS:
        step: Callable[[demo.DemoContext], None] | None = resolve(dotted)
        if step is None:
            ctx.log(f"- {dotted}: not provided yet, skipped")
            continue
        started = time.perf_counter()
        ctx.log(f"- {dotted} ...")
        step(ctx)
        ctx.log(f"  {dotted} done in {time.perf_counter() - started:.1f}s")


class Command(BaseCommand):
    help = (
        "Generate the Oxfordshire-shaped demo county (or, with --scale national, 20,000 "
        "schools for benchmarks), deterministically from a seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--scale", choices=("county", "national"), default="county")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when schools already exist (so bin/demo can be re-run)",
        )
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="YYYY-MM-DD the demo treats as today (default: the real date)",
        )

    def handle(self, *args, **options) -> None:
        if School.objects.exists():
            if options["if_empty"]:
                self.stdout.write("Schools already loaded: the demo county is left as it is.")
                return
            raise CommandError(
                "The database already has schools. Use --if-empty, or start from an empty "
                "database (manage.py flush)."
            )
        ctx = demo.DemoContext(
            rng=random.Random(options["seed"]),
            today=options["today"] or date.today(),
            out=self.stdout,
            scale=options["scale"],
        )
        ctx.log(
            f"Loading the {ctx.scale} demo (seed {options['seed']}, today {ctx.today.isoformat()})"
        )
        started = time.perf_counter()
        # The demo's story sends hundreds of notifications: nobody should get those emails.
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        # All or nothing: a failed step leaves an empty database, so --if-empty retries.
        with transaction.atomic():
            run_steps(ctx)
        ctx.log(
            f"Demo loaded in {time.perf_counter() - started:.1f}s; "
            f"{len(ctx.logins)} demo logins (manage.py demo_logins lists them)."
        )
