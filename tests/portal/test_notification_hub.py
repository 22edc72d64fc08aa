"""Who is told of what is one table: every event a transition announces is in it, and
no other app names recipients or sends a notification of its own."""

import ast
from pathlib import Path

from funding.workflow import TRANSITIONS
from portal.notifications import EVENTS, TRANSITION_EVENTS

ROOT = Path(__file__).resolve().parents[2]


def test_every_transition_announces_an_event_of_the_table_or_none():
    assert set(TRANSITION_EVENTS) <= set(TRANSITIONS)
    for name in TRANSITIONS:
        event = TRANSITION_EVENTS.get(name, "request_moved")
        assert event is None or event in EVENTS, name


def test_the_request_apps_announce_events_rather_than_notify_directly():
    direct = []
    for app in ("funding", "panels", "budgets", "reports", "clusters"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "notify":
                    direct.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert direct == []
