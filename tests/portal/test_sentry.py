"""An error reported to Sentry leaves the portal with no pupil data (portal/sentry.py,
portal/scrub.py): a portal process with ``SENTRY_DSN`` pointing at a real HTTP server
in this test, which captures the envelope the SDK sends."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from portal.scrub import FILTERED, before_send

ROOT = Path(__file__).resolve().parents[2]
PUPIL = {"pupil_initials": "QZ", "upn": "A123456789012", "parent_voice": "She is anxious"}

FAILING_REQUEST = f"""
import django
django.setup()
from django.conf import settings
settings.ROOT_URLCONF = "tests.sentry_urls"
from django.test import Client
import sentry_sdk
client = Client(raise_request_exception=False)
client.cookies["portal_remember"] = "the-session-key"
answer = client.post(
    "/test-only/fails/?q=QZ&upn=A123456789012", {PUPIL!r},
    HTTP_AUTHORIZATION="Basic c2VuY286cGFzc3dvcmQ=",
)
assert answer.status_code == 500, answer.status_code
sentry_sdk.flush(10)
"""


class Sink(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        match self.headers.get("Content-Encoding"):
            case "gzip":
                body = gzip.decompress(body)
            case "br":
                import brotli

                body = brotli.decompress(body)
        Sink.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    Sink.received = []
    server = HTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def events(envelopes: list[bytes]) -> list[dict]:
    found = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_an_error_reaches_sentry_without_the_pupils_data(sentry_server, tmp_path):
    dsn = f"http://publickey@127.0.0.1:{sentry_server.server_port}/1"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings", SENTRY_DSN=dsn, SENTRY_RELEASE="portal@1.2.3",
        DEBUG="false", SECRET_KEY="x" * 50, SECURE_SSL_REDIRECT="false",
        PRIVATE_MEDIA_ROOT=str(tmp_path),
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", FAILING_REQUEST],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    sent_events = events(Sink.received)
    assert sent_events, done.stdout[-3000:]
    for event in sent_events:
        assert event["exception"]["values"][-1]["value"] == "the pupil record could not be saved"
        assert event["environment"] == "production" and event["release"] == "portal@1.2.3"
        assert event["transaction"] == "/test-only/fails/"
        request = event.get("request", {})
        for dropped in ("data", "query_string", "cookies"):
            assert request.get(dropped, FILTERED) == FILTERED, dropped
        assert all(
            value == FILTERED
            for key, value in request.get("headers", {}).items()
            if key.lower() in ("cookie", "authorization")
        )
        assert set(event.get("user", {})) <= {"id"}
    sent = b"".join(Sink.received).decode()
    for secret in (*PUPIL.values(), "the-session-key", "c2VuY286cGFzc3dvcmQ="):
        assert secret not in sent, secret


def test_before_send_scrubs_a_realistic_event():
    event = {
        "level": "error",
        "request": {
            "url": "https://portal.example.gov.uk/requests/12/pupil/?initials=QZ",
            "method": "POST",
            "query_string": "initials=QZ",
            "data": {"pupil_initials": "QZ", "upn": "A123456789012"},
            "cookies": {"sessionid": "abc"},
            "headers": {"Cookie": "sessionid=abc", "User-Agent": "Firefox", "Referer": "…?q=QZ"},
        },
        "user": {"id": 7, "email": "senco@a.sch.uk", "ip_address": "10.0.0.1"},
        "extra": {"request_form": {"parent_voice": "She is anxious", "year_group": "4"}},
        "exception": {
            "values": [{"type": "EditError", "stacktrace": {"frames": [{"vars": {"upn": "A1"}}]}}]
        },
        "breadcrumbs": {"values": [{"category": "query", "data": {"params": ["QZ"]}}]},
    }
    out = before_send(event, {})
    assert out["request"]["url"] == "https://portal.example.gov.uk/requests/12/pupil/"
    assert out["request"]["data"] == out["request"]["cookies"] == FILTERED
    assert out["request"]["query_string"] == FILTERED
    assert out["request"]["headers"]["Cookie"] == out["request"]["headers"]["Referer"] == FILTERED
    assert out["request"]["headers"]["User-Agent"] == "Firefox"
    assert out["user"] == {"id": 7}
    assert out["extra"]["request_form"] == {"parent_voice": FILTERED, "year_group": FILTERED}
    assert "vars" not in out["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert "data" not in out["breadcrumbs"]["values"][0]
    assert "QZ" not in json.dumps(out) and "A123456789012" not in json.dumps(out)
