"""Security headers on every page, and login throttling (django-axes)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from clusters.models import Role
from tests.factories import make_user

from .test_scoping_matrix import ROUTES


def assert_hardened(response, name: str) -> None:
    assert response["X-Frame-Options"] == "DENY", name
    assert response["X-Content-Type-Options"] == "nosniff", name
    assert response["Referrer-Policy"] == "same-origin", name
    csp = response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'", name
    assert directives["script-src"] == "'self'", name
    assert directives["style-src"] == "'self'", name
    assert directives["frame-ancestors"] == "'none'", name
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name


def test_the_sign_in_page_is_hardened(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_hardened(response, "login")


def test_every_page_a_user_opens_is_hardened(world):
    """Each route's owner opens it: the page (or file, or JSON) carries the headers."""
    clients: dict[str, Client] = {}
    opened = 0
    for name, route in ROUTES.items():
        who = route.owner or "send_officer"
        if "GET" not in route.methods:
            continue
        if who not in clients:
            clients[who] = Client()
            clients[who].force_login(world.user(who))
        response = clients[who].get(route.url(world))
        if response.status_code != 200:
            continue
        opened += 1
        assert_hardened(response, name)
    assert opened >= 50


def test_a_downloaded_document_is_never_sniffed_or_cached(world, client):
    client.force_login(world.a.senco)
    response = client.get(
        reverse("funding:download", args=[world.a.submitted.pk, world.a.document.pk])
    )
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment")


# --- login throttling -------------------------------------------------------------------


@pytest.fixture
def axes_on(settings):
    """tests/conftest.py turns axes off for every other test; this story needs it."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.implementation = None  # pick up the settings above
    yield
    AxesProxyHandler.implementation = None


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_with_a_clear_message(axes_on, password, school_a):
    senco = make_user(Role.SENCO, school=school_a, username="locked_senco")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(1, 5):
        response = sign_in(client, senco.username, f"wrong-{attempt}")
        assert response.status_code == 200, attempt  # the form again, with its error
    locked = sign_in(client, senco.username, "wrong-5")
    assert locked.status_code == 429
    message = locked.content.decode()
    assert "locked" in message.lower() and "too many" in message.lower()

    # Now even the right password is refused, from this address...
    again = sign_in(client, senco.username, password)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # ...while someone else signing in from the same office is not held up.
    colleague = make_user(Role.SENCO, school=school_a, username="colleague")
    ok = sign_in(client, colleague.username, password)
    assert ok.status_code == 302


@pytest.mark.django_db
def test_a_right_password_after_a_few_slips_signs_in(axes_on, password, school_a):
    head = make_user(Role.HEADTEACHER, school=school_a, username="careful_head")
    client = Client(REMOTE_ADDR="203.0.113.8")
    for attempt in range(4):
        assert sign_in(client, head.username, f"slip-{attempt}").status_code == 200
    response = sign_in(client, head.username, password)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
