"""Two-factor sign-in for the people who see the most: LA officers and administrators
set up an authenticator app once, then enter its code after their password each time.
Enforced in production (DEBUG off); the embedded demo and these tests turn it on by hand."""

import base64
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
VERIFY = reverse("two_factor:verify")
SET_UP = reverse("two_factor:set_up")
ASK = "Enter the 6-digit code from your authenticator app"


@pytest.fixture
def enforced(settings):
    settings.OTP_ENFORCED = True


def code_for(user, ahead: int = 0) -> str:
    """The code the user's app shows now (``ahead`` steps later: a code is accepted only
    once, so a second sign-in within 30 seconds needs the next one)."""
    device = TOTPDevice.objects.get(user=user)
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=ahead)
    return f"{token:06d}"


def wrong_code_for(user) -> str:
    return f"{(int(code_for(user)) + 500_000) % 1_000_000:06d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def sign_in(client, user, password):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def test_an_la_officer_sets_up_an_app_and_reaches_the_dashboard(
    enforced, client, send_officer, password
):
    response = client.post(
        reverse("login"), {"username": "send_officer", "password": password}, follow=True
    )
    assert [url for url, _ in response.redirect_chain] == [
        "/",
        f"{VERIFY}?next=%2F",
        f"{SET_UP}?next=%2F",
    ]
    page = response.content.decode()
    assert "Set up two-factor sign-in" in page
    # The QR code is an inline SVG (no image request, no script) and the secret is in text.
    assert '<svg role="img"' in page and "QR code to scan with your authenticator app" in page
    device = TOTPDevice.objects.get(user=send_officer, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert secret[:4] + " " + secret[4:8] in page
    assert "<script>" not in page
    # Nothing else opens until the code is entered, and the menu says so.
    assert 'href="/requests/triage/"' not in page
    assert client.get(reverse("funding:triage")).status_code == 302

    # Reloading shows the same code to scan.
    client.get(SET_UP)
    assert TOTPDevice.objects.filter(user=send_officer).count() == 1

    response = client.post(SET_UP, {"code": code_for(send_officer), "next": "/"}, follow=True)
    # Then the recovery codes, shown once (tests/portal/test_two_factor_recovery.py).
    assert response.redirect_chain == [(f"{reverse('two_factor:recovery_codes')}?next=%2F", 302)]
    assert b"Two-factor sign-in is set up" in response.content
    assert b"Your recovery codes" in response.content
    response = client.get("/")
    assert b"Triage new requests" in response.content
    assert TOTPDevice.objects.get(user=send_officer).confirmed
    assert client.get(reverse("funding:triage")).status_code == 200
    # Once set up, the set-up page can't replace the app (only an administrator can).
    assert client.get(SET_UP)["Location"].startswith(VERIFY)


def test_the_next_sign_in_asks_for_the_code_and_returns_to_the_page_asked_for(
    enforced, client, send_officer, password
):
    sign_in(client, send_officer, password)
    client.get(SET_UP)
    client.post(SET_UP, {"code": code_for(send_officer)})
    client.post(reverse("logout"))

    triage = reverse("funding:triage")
    response = client.post(
        reverse("login"),
        {"username": "send_officer", "password": password, "next": triage},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{VERIFY}?next=%2Frequests%2Ftriage%2F"
    assert b"Enter the code from your authenticator app" in response.content
    assert b'autocomplete="one-time-code"' in response.content

    response = client.post(VERIFY, {"code": code_for(send_officer, ahead=1), "next": triage})
    assert response["Location"] == triage
    assert client.get(triage).status_code == 200
    # The audit has the device's set-up and confirmation, not every code entered.
    device = TOTPDevice.objects.get(user=send_officer)
    audit = LogEntry.objects.get_for_object(device).order_by("timestamp")
    assert [(e.action, list(e.changes_dict)) for e in audit][1:] == [
        (LogEntry.Action.UPDATE, ["confirmed"])
    ]
    assert audit[0].action == LogEntry.Action.CREATE and "key" not in audit[0].changes_dict


def test_a_wrong_code_is_refused_with_an_error_summary(enforced, client, finance_officer):
    enrolled(finance_officer)
    client.force_login(finance_officer)

    for code in (wrong_code_for(finance_officer), "12ab56", ""):
        response = client.post(VERIFY, {"code": code})
        assert response.status_code == 200
        page = response.content.decode()
        assert "There is a problem" in page and ASK in page
        assert "<title>Error: " in page
    assert client.get(reverse("dashboard"))["Location"] == f"{VERIFY}?next=%2F"


def test_repeated_wrong_codes_are_throttled(enforced, client, finance_officer):
    device = enrolled(finance_officer)
    client.force_login(finance_officer)

    def time_passes(seconds):
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - timedelta(seconds=seconds)
        )

    client.post(VERIFY, {"code": wrong_code_for(finance_officer)})
    # Straight after a wrong code, even the right one has to wait.
    response = client.post(VERIFY, {"code": code_for(finance_officer)})
    assert b"too many wrong codes. Wait 1 second," in response.content
    time_passes(1)
    client.post(VERIFY, {"code": wrong_code_for(finance_officer)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 2
    # Each wrong code doubles the wait.
    response = client.post(VERIFY, {"code": code_for(finance_officer)})
    assert b"too many wrong codes. Wait 2 seconds," in response.content
    assert client.get(reverse("dashboard")).status_code == 302

    time_passes(2)
    response = client.post(VERIFY, {"code": code_for(finance_officer)})
    assert response["Location"] == reverse("dashboard")
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_senco_is_not_asked_for_a_code(enforced, client, senco_a, password):
    response = client.post(
        reverse("login"), {"username": "senco_a", "password": password}, follow=True
    )
    assert response.redirect_chain == [("/", 302)]
    assert b"Start or continue a funding request" in response.content


def test_without_enforcement_an_la_officer_signs_in_with_the_password_alone(
    settings, client, send_officer, password
):
    settings.OTP_ENFORCED = False
    response = client.post(
        reverse("login"), {"username": "send_officer", "password": password}, follow=True
    )
    assert response.redirect_chain == [("/", 302)]
    assert b"Triage new requests" in response.content


def test_signing_out_and_the_health_check_stay_open_while_a_code_is_owed(
    enforced, client, send_officer
):
    client.force_login(send_officer)
    assert client.get(reverse("healthz")).status_code == 200
    static = client.get("/static/portal/portal.css")
    assert "two-factor" not in static.get("Location", "")
    # htmx gets told to load the code page rather than swap it into a fragment.
    response = client.get(reverse("funding:triage"), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"].startswith(VERIFY)
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("login"))


def test_a_next_address_elsewhere_is_not_followed(enforced, client, send_officer):
    enrolled(send_officer)
    client.force_login(send_officer)
    response = client.post(
        VERIFY, {"code": code_for(send_officer), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard")


def test_the_api_refuses_an_la_officer_until_the_session_is_verified(
    enforced, send_officer, senco_a, password
):
    url = reverse("funding-request-list")
    api = APIClient()
    api.force_login(send_officer)
    response = api.get(url)
    assert response.status_code == 403
    assert "Two-factor sign-in is required" in response.json()["detail"]

    enrolled(send_officer)
    api.post(VERIFY, {"code": code_for(send_officer)})
    assert api.get(url).status_code == 200


def test_the_api_refuses_a_password_alone_from_an_la_officer_but_not_from_a_senco(
    enforced, send_officer, senco_a, password
):
    url = reverse("funding-request-list")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=_basic("send_officer", password))
    response = api.get(url)
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "Basic authentication" in detail and "verify the code" in detail

    api.credentials(HTTP_AUTHORIZATION=_basic("senco_a", password))
    assert api.get(url).status_code == 200


def test_without_enforcement_basic_auth_works_for_an_la_officer(settings, send_officer, password):
    settings.OTP_ENFORCED = False
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=_basic("send_officer", password))
    assert api.get(reverse("funding-request-list")).status_code == 200


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_the_admin_requires_a_code_from_staff_who_reset_lost_devices_there(
    enforced, client, send_officer
):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    officer_device = enrolled(send_officer)
    client.force_login(root)
    response = client.get("/admin/")
    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    assert client.get(response["Location"])["Location"].startswith(SET_UP)

    client.get(SET_UP)
    client.post(SET_UP, {"code": code_for(root)})
    assert client.get("/admin/").status_code == 200

    # django-otp's TOTP device admin is there; it never shows anyone's secret.
    assert admin.site.is_registered(TOTPDevice)
    changelist = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert b"send_officer" in changelist.content
    assert client.get(f"/admin/otp_totp/totpdevice/{officer_device.pk}/config/").status_code == 403

    # The officer lost their phone: the administrator deletes the device...
    delete = reverse("admin:otp_totp_totpdevice_delete", args=[officer_device.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=send_officer).exists()
    # ...and the officer sets up a new app at their next sign-in.
    officer = APIClient()
    officer.force_login(send_officer)
    assert officer.get(VERIFY)["Location"].startswith(SET_UP)


def _settings_in_a_fresh_process(**env) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'enforced': s.OTP_ENFORCED, 'roles': s.OTP_REQUIRED_ROLES}))"
    )
    keep = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "OTP_ENFORCED")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**keep, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_enforces_it_and_the_embedded_demo_does_not():
    production = _settings_in_a_fresh_process(
        DEBUG="false", SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdef"
    )
    assert production == {
        "enforced": True,
        "roles": ["la_send_officer", "la_finance_officer", "dpo", "staff"],
    }
    assert _settings_in_a_fresh_process()["enforced"] is False
