"""Start the local OpenID Connect provider (bin/oidc_provider.mjs) in a second process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bin" / "oidc_provider.mjs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def oidc_provider(*, clients: list[dict], accounts: dict, issuer: str | None = None):
    """The provider's issuer URL while it runs; stopped (by its own pid) afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "OIDC_CLIENTS": json.dumps(clients),
        "OIDC_ACCOUNTS": json.dumps(accounts),
    }
    if issuer:
        env["ISSUER"] = issuer
    process = subprocess.Popen(
        ["node", str(SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        line = process.stdout.readline().decode()
        if not line.startswith("ready"):
            raise RuntimeError(f"the OIDC provider did not start: {line!r}")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(urljoin(url, "/.well-known/openid-configuration"), timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def sign_in_at_provider(authorize_url: str, login: str, until: str) -> str:
    """Follow the provider's real pages as a browser would: its sign-in form, then its
    redirects, until one leads back to ``until`` (the portal); that URL is returned."""
    session = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = session.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and 'name="login"' in response.text:
            action = urljoin(url, response.text.split('action="', 1)[1].split('"', 1)[0])
            response = session.post(
                action, data={"login": login}, allow_redirects=False, timeout=10
            )
        if response.status_code not in (302, 303):
            raise AssertionError(
                f"the provider answered {response.status_code}: {response.text[:300]}"
            )
        url = urljoin(url, response.headers["Location"])
        if url.startswith(until):
            return url
    raise AssertionError("the provider never sent the browser back")
