"""The demo county is built by steps, one module here per app whose data it writes.

``manage.py load_demo_county`` runs :data:`DEMO_STEPS` in order, skipping any
that is not written yet. Each step is ``def step(ctx: DemoContext) -> None``
and should write through the app's services where a user would (so the demo
exercises the same rules), using bulk inserts only where volume needs it.
Everything is deterministic from ``ctx.rng``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 -- demo data only, printed for the newcomer

# Order matters: budgets are allocated before panels decide (decisions commit
# money), and payments follow the decisions.
DEMO_STEPS = (
    "demo.clusters.load",
    "demo.funding.load",
    "demo.budgets.load",
    "demo.panels.load",
    "demo.budgets.load_payments",
    "demo.reports.load",
    "demo.accounts.load",
    "demo.funding.load_notices",
)


@dataclass
class DemoLogin:
    role: str
    username: str
    description: str


@dataclass
class DemoContext:
    rng: random.Random
    today: date
    out: TextIO
    scale: str = "county"  # "county" or "national"
    password: str = DEMO_PASSWORD
    logins: list[DemoLogin] = field(default_factory=list)
    # Steps may leave things for later steps (e.g. the demo users by role).
    shared: dict = field(default_factory=dict)

    def log(self, message: str) -> None:
        self.out.write(message + "\n")
        self.out.flush()
