"""An LA officer sets up two-factor sign-in in a real browser, then signs in again with a
code; both pages, with and without an error, pass WCAG 2.2 AA."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(user, ahead: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=ahead):06d}"


def test_an_la_officer_sets_up_an_app_then_enters_a_code_at_the_next_sign_in(
    settings, new_page, sign_in, live_server, send_officer, password
):
    settings.OTP_ENFORCED = True
    page = sign_in(new_page(), "send_officer", password)
    assert page.get_by_role("heading", name="Set up two-factor sign-in").is_visible()
    assert page.get_by_role("img", name="QR code to scan with your authenticator app").is_visible()
    assert page.get_by_test_id("otp-secret").inner_text().replace(" ", "").isalnum()
    # The page runs under the CSP: no inline script, GOV.UK Frontend's module still ran.
    assert "govuk-frontend-supported" in page.eval_on_selector("body", "b => b.className")
    assert accessibility_violations(page) == []

    wrong = f"{(int(code_for(send_officer)) + 500_000) % 1_000_000:06d}"
    page.get_by_label("Code from your app").fill(wrong)
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: Set up two-factor sign-in")
    assert page.get_by_role("alert").get_by_text("Enter the 6-digit code").is_visible()
    assert accessibility_violations(page) == []

    # django-otp's throttle makes the next try wait a second after a wrong code.
    page.wait_for_timeout(1100)
    page.get_by_label("Code from your app").fill(code_for(send_officer))
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_load_state()
    assert page.get_by_text("Two-factor sign-in is set up").is_visible()
    # The recovery codes, shown this once.
    assert page.get_by_role("heading", name="Your recovery codes").is_visible()
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="I have kept my codes: continue").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    page.get_by_test_id("sign-out").click()
    page.wait_for_load_state()
    sign_in(page, "send_officer", password)
    assert page.get_by_role(
        "heading", name="Enter the code from your authenticator app"
    ).is_visible()
    assert accessibility_violations(page) == []
    page.get_by_label("Code from your app").fill(code_for(send_officer, ahead=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    # A lost phone: a recovery code instead, once.
    page.get_by_test_id("sign-out").click()
    page.wait_for_load_state()
    sign_in(page, "send_officer", password)
    page.get_by_role("link", name="Use a recovery code").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Sign in with a recovery code").is_visible()
    assert accessibility_violations(page) == []
    page.get_by_label("Recovery code").fill("zzzz-zzzz")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: Sign in with a recovery code")
    assert accessibility_violations(page) == []
    page.wait_for_timeout(1100)  # the throttle's wait after a wrong code
    page.get_by_label("Recovery code").fill(codes[0].strip().upper())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text("You have 9 left").is_visible()
