"""The load test's people (locust), run by bench/load_test.py against the production stack.

Every role signs in through the sign-in form and works as a browser behind the LA's
TLS proxy would (tests.stack.behind_tls): SENCOs look at their dashboard and requests,
start drafts and upload support plans; LA SEND officers work the triage queue, the
county requests list and the budget dashboard (and its live poll), and confirm the
chairs' actions proposed to them; finance officers watch the budget dashboards; chairs
propose decisions by chair's action on urgent requests; one officer asks for a county
report every ten seconds for the workers. ``LOADTEST_PEOPLE`` names the JSON file of
who is who (written by bench/load_test.py). The floor (``/bench/floor/``) is fetched by
the officers as often as the triage queue, in the same run.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
from collections import deque
from datetime import date, timedelta
from pathlib import Path

import gevent
from locust import HttpUser, between, constant_pacing, task

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.stack import behind_tls, csrf_from, hidden_fields  # noqa: E402

PEOPLE = json.loads(Path(os.environ["LOADTEST_PEOPLE"]).read_text())
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LIVE = re.compile(r'hx-get="(/budgets/live/[^"]*)"')

_sencos = itertools.cycle(PEOPLE["sencos"])
_chairs = itertools.cycle(list(PEOPLE["chairs"]))
# Urgent requests waiting for each chair, and the proposals waiting for the officer.
_urgent = {chair: deque(ids) for chair, ids in PEOPLE["chairs"].items()}
_proposals: deque[str] = deque()
# The figures are of the steady state: once every user has signed in (sign-ins are slow
# on purpose, PBKDF2), the sign-in figures are kept aside, the statistics reset, and the
# measurement runs LOADTEST_MEASURE_SECONDS.
MEASURE_SECONDS = float(os.environ.get("LOADTEST_MEASURE_SECONDS", "60"))
SIGN_IN_FILE = os.environ.get("LOADTEST_SIGN_IN_FILE", "")
_signed_in = 0


def _all_signed_in(environment) -> None:
    entry = environment.stats.get("POST /sign-in/", "POST")
    figures = {
        "users": _signed_in,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "p50": entry.get_response_time_percentile(0.5),
        "p95": entry.get_response_time_percentile(0.95),
        "max": entry.max_response_time,
    }
    if SIGN_IN_FILE:
        Path(SIGN_IN_FILE).write_text(json.dumps(figures))
    environment.stats.reset_all()
    gevent.spawn_later(MEASURE_SECONDS, environment.runner.quit)


class Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    username = ""

    def on_start(self) -> None:
        global _signed_in
        behind_tls(self.client)
        self.sign_in()
        _signed_in += 1
        if _signed_in == self.environment.runner.target_user_count:
            _all_signed_in(self.environment)

    def _referer(self, path: str) -> dict[str, str]:
        return {"Referer": f"{self.host.replace('http://', 'https://', 1)}{path}"}

    def page(self, path: str, name: str, expect=(200,)):
        with self.client.get(
            path, name=name, headers=self._referer(path), catch_response=True
        ) as answer:
            if answer.status_code not in expect:
                answer.failure(f"{answer.status_code or answer.error} from {path}")
            return answer

    def form(self, path: str, data: dict, name: str, *, page=None, files=None, lands_on: str = ""):
        """Fetch the form's page (its token), then post it, as a browser does."""
        shown = self.page(page or path, f"{name.replace('POST ', 'GET ', 1)} [its form]")
        if shown.status_code != 200:
            return None
        fields = {**hidden_fields(shown.text), "csrfmiddlewaretoken": csrf_from(shown.text)}
        with self.client.post(
            path,
            data={**fields, **data},
            files=files,
            name=name,
            headers=self._referer(page or path),
            catch_response=True,
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code or answer.error} from {path}")
            elif lands_on not in answer.url:  # refused: back on the form with a message
                answer.failure(f"{path} was refused: {answer.url}")
            return answer

    def api(self, method: str, path: str, body: dict, name: str):
        headers = {**self._referer(path), "X-CSRFToken": self.client.cookies.get("csrftoken", "")}
        with self.client.request(
            method, path, json=body, name=name, headers=headers, catch_response=True
        ) as answer:
            if answer.status_code >= 400:
                answer.failure(
                    f"{answer.status_code or answer.error} from {path}: {answer.text[:200]}"
                )
            return answer

    def sign_in(self) -> None:
        answer = self.form(
            "/sign-in/",
            {"username": self.username, "password": PEOPLE["password"]},
            "POST /sign-in/",
        )
        if answer is not None and "/sign-in/" in answer.url:
            answer.failure(f"{self.username} could not sign in")


class Senco(Person):
    weight = 3

    def on_start(self) -> None:
        self.username = next(_sencos)
        super().on_start()

    @task(2)
    def dashboard(self):
        self.page("/", "GET / (SENCO dashboard)")

    @task(2)
    def my_requests(self):
        self.page("/requests/", "GET /requests/ (school's requests)")

    @task(1)
    def draft_and_upload(self):
        created = self.api(
            "POST",
            "/api/v1/requests/",
            {"stream": PEOPLE["stream"], "pupil_initials": "LT", "year_group": "4"},
            "POST /api/v1/requests/ (draft)",
        )
        if created.status_code != 201:
            return
        pk = created.json()["id"]
        self.form(
            f"/requests/{pk}/documents/",
            {"kind": "support_plan"},
            "POST /requests/<id>/documents/ (upload)",
            files={"file": ("support-plan.pdf", PDF, "application/pdf")},
        )


class Officer(Person):
    weight = 2
    username = PEOPLE["officer"]
    live = ""

    @task(3)
    def triage_queue(self):
        self.page("/requests/triage/", "GET /requests/triage/ (triage queue)")

    @task(3)
    def floor(self):
        self.page("/bench/floor/", "FLOOR /bench/floor/ (triage rows)")

    @task(1)
    def county_requests(self):
        self.page("/requests/", "GET /requests/ (county list)")

    @task(2)
    def budgets(self):
        board = self.page("/budgets/", "GET /budgets/ (county dashboard)")
        found = LIVE.search(board.text or "")
        if found:
            self.live = found.group(1).replace("&amp;", "&")

    @task(2)
    def budgets_poll(self):
        if self.live:
            self.page(self.live, "GET /budgets/live/ (poll)", expect=(200, 204))

    @task(2)
    def confirm_chairs_action(self):
        if not _proposals:
            return
        proposal = _proposals.popleft()
        self.form(
            f"{proposal}confirm/",
            {},
            "POST chair's action confirm",
            page=proposal,
            lands_on="/panels/decisions/",
        )


class Finance(Person):
    weight = 1
    username = PEOPLE["finance"]
    live = ""

    @task(2)
    def budgets(self):
        board = self.page("/budgets/", "GET /budgets/ (county dashboard)")
        found = LIVE.search(board.text or "")
        if found:
            self.live = found.group(1).replace("&amp;", "&")

    @task(3)
    def budgets_poll(self):
        if self.live:
            self.page(self.live, "GET /budgets/live/ (poll)", expect=(200, 204))


class Chair(Person):
    weight = 1

    def on_start(self) -> None:
        self.username = next(_chairs)
        super().on_start()

    @task(1)
    def panels(self):
        self.page("/panels/", "GET /panels/ (chair's panels)")

    @task(2)
    def chairs_action(self):
        waiting = _urgent[self.username]
        if not waiting:
            return
        pk = waiting.popleft()
        review = date.today() + timedelta(days=90)
        answer = self.form(
            f"/panels/requests/{pk}/chairs-action/",
            {
                "outcome": "approved",
                "officer": str(PEOPLE["officer_pk"]),
                "rationale": "The placement is at risk this week.",
                "review_date_0": str(review.day),
                "review_date_1": str(review.month),
                "review_date_2": str(review.year),
            },
            "POST chair's action propose",
            lands_on="/panels/chairs-actions/",
        )
        if answer is not None and "/panels/chairs-actions/" in answer.url:
            _proposals.append(answer.url.split(self.host, 1)[1])


class Reports(Person):
    """One LA officer asking for a county report every ten seconds (for the workers)."""

    fixed_count = 1
    wait_time = constant_pacing(10)
    username = PEOPLE["officer"]

    @task
    def ask_for_a_report(self):
        self.form(
            "/reports/",
            {"kind": "inclusiveness", "scope": "county", "academic_year": PEOPLE["year"]},
            "POST /reports/ (report queued)",
        )
