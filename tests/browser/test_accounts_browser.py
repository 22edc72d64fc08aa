"""Getting in, in a real browser: the LA officer invites a county from a CSV file
(preview, refusal, apply), the SENCO makes her account from the emailed link, another
signs in through the local OpenID Connect provider (bin/oidc_provider.mjs) and lands
on their dashboard, an unknown identity is told to ask the LA; password reset. Every
page passes axe (WCAG 2.2 AA)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts import services
from clusters.models import Role
from tests.browser.conftest import accessibility_violations
from tests.factories import SchoolFactory
from tests.oidc.server import oidc_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STRONG = "larch-meadow-quiet-74"


def test_an_officer_invites_from_csv_and_a_senco_makes_her_account(
    settings, new_page, sign_in, live_server, send_officer, password, tmp_path
):
    settings.PORTAL_BASE_URL = live_server.url
    SchoolFactory(urn=123401, name="Ashfield Primary")
    page = sign_in(new_page(), "send_officer", password)
    page.get_by_role("link", name="Invite many from a CSV file").click()
    page.wait_for_load_state()
    assert accessibility_violations(page) == []

    bad = tmp_path / "bad.csv"
    bad.write_text("URN,role,first name,last name,email\n999999,SENCO,=X,Patel,asha@a.sch.uk\n")
    page.get_by_label("Invitations file (CSV)").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: The file cannot be used")
    assert page.get_by_text("Line 2, column “first name”").is_visible()
    assert accessibility_violations(page) == []

    good = tmp_path / "staff.csv"
    good.write_text(
        "URN,role,first name,last name,email\n123401,SENCO,Asha,Patel,asha@ashfield.sch.uk\n"
    )
    page.get_by_label("Invitations file (CSV)").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("bulk-summary").inner_text() == "1 new invitation; 0 unchanged."
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Send 1 invitation").click()
    page.wait_for_load_state()
    assert page.get_by_text("1 invitation sent; 0 unchanged.").is_visible()
    assert accessibility_violations(page) == []
    page.goto(f"{live_server.url}/invitations/new/")
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: Invite someone")
    assert accessibility_violations(page) == []

    (message,) = mail.outbox
    link = re.search(r"http://\S+/invitations/accept/\S+/", message.body).group(0)
    senco = new_page()
    senco.goto(link)
    assert senco.get_by_role("heading", name="Make your account").is_visible()
    assert accessibility_violations(senco) == []
    senco.get_by_label("Create a password").fill("password")
    senco.get_by_label("Confirm your password").fill("password")
    senco.get_by_role("button", name="Make my account").click()
    senco.wait_for_load_state()
    assert senco.title().startswith("Error: Make your account")
    assert accessibility_violations(senco) == []
    senco.get_by_label("Create a password").fill(STRONG)
    senco.get_by_label("Confirm your password").fill(STRONG)
    senco.get_by_role("button", name="Make my account").click()
    senco.wait_for_load_state()
    assert senco.get_by_role("heading", name="Dashboard").is_visible()
    assert senco.get_by_text("Signed in as Asha Patel (SENCO)").is_visible()

    used = new_page()
    used.goto(link)
    assert used.get_by_role("heading", name="This invitation link cannot be used").is_visible()
    assert accessibility_violations(used) == []


def test_password_reset_pages(new_page, live_server, senco_a):
    page = new_page()
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_role("link", name="Forgotten your password?").click()
    page.wait_for_load_state()
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: Reset your password")
    assert accessibility_violations(page) == []
    page.get_by_label("Email address").fill(senco_a.email)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Check your email").is_visible()
    assert accessibility_violations(page) == []
    link = re.search(r"http://\S+/account/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    assert page.get_by_role("heading", name="Choose a new password").is_visible()
    assert accessibility_violations(page) == []
    page.get_by_label("New password", exact=True).fill(STRONG)
    page.get_by_label("Confirm the new password").fill(STRONG)
    page.get_by_role("button", name="Change my password").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Your password has been changed").is_visible()
    assert accessibility_violations(page) == []


def test_single_sign_on_through_the_local_provider(
    settings, new_page, live_server, send_officer, db
):
    school = SchoolFactory(urn=123402, name="Brookside Primary")
    services.invite(by=send_officer, email="cara@brookside.sch.uk", first_name="Cara",
                    last_name="Lewis", role=Role.SENCO, school=school)  # fmt: skip
    callback = f"{live_server.url}/account/sso/county/login/callback/"
    accounts = {
        login: {"email": login, "email_verified": True, "given_name": "Cara",
                "family_name": "Lewis", "amr": ["pwd"]}
        for login in ("cara@brookside.sch.uk", "stranger@brookside.sch.uk",
                      "forged@brookside.sch.uk")
    }  # fmt: skip
    accounts["forged@brookside.sch.uk"]["misbehave"] = "signature"
    clients = [{"client_id": "portal", "client_secret": "s3cret", "redirect_uris": [callback]}]
    with oidc_provider(clients=clients, accounts=accounts) as issuer:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [{"provider_id": "county", "name": "Brookside's account",
                          "client_id": "portal", "secret": "s3cret",
                          "settings": {"server_url": issuer, "domains": ["brookside.sch.uk"]}}],
            }
        }  # fmt: skip
        # The provider's own pages answer with its CSP; the portal's keep theirs.
        page = new_page()
        page.goto(f"{live_server.url}/sign-in/")
        assert accessibility_violations(page) == []
        page.get_by_role("button", name="Sign in with Brookside's account").click()
        page.wait_for_load_state()
        page.get_by_label("Email address").fill("cara@brookside.sch.uk")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Dashboard").is_visible()
        assert page.get_by_text("Signed in as Cara Lewis (SENCO)").is_visible()

        stranger = new_page()
        stranger.goto(f"{live_server.url}/sign-in/")
        stranger.get_by_role("button", name="Sign in with Brookside's account").click()
        stranger.wait_for_load_state()
        stranger.get_by_label("Email address").fill("stranger@brookside.sch.uk")
        stranger.get_by_role("button", name="Continue").click()
        stranger.wait_for_load_state()
        assert stranger.get_by_role("heading", name="Ask your LA to invite you").is_visible()
        assert accessibility_violations(stranger) == []

        # An ID token signed with a key the provider never published: refused.
        forged = new_page()
        forged.goto(f"{live_server.url}/account/sso/county/login/")
        assert forged.get_by_role("heading", name="Sign in with Brookside's account").is_visible()
        assert accessibility_violations(forged) == []
        forged.get_by_role("button", name="Continue").click()
        forged.wait_for_load_state()
        forged.get_by_label("Email address").fill("forged@brookside.sch.uk")
        forged.get_by_role("button", name="Continue").click()
        forged.wait_for_load_state()
        assert forged.get_by_role("heading", name="Single sign-on did not work").is_visible()
        assert accessibility_violations(forged) == []


def test_an_invitation_opened_while_signed_in_and_the_recovery_codes_page(
    settings, new_page, sign_in, live_server, send_officer, password
):
    from portal.twofactor import services as two_factor

    school = SchoolFactory(urn=123403, name="Castle Hill Secondary")
    invitation = services.invite(by=send_officer, email="dev@castlehill.sch.uk",
                                 first_name="Dev", last_name="Shah", role=Role.HEADTEACHER,
                                 school=school)  # fmt: skip
    page = sign_in(new_page(), "send_officer", password)
    page.goto(services.link_for(invitation).replace(settings.PORTAL_BASE_URL, live_server.url))
    assert page.get_by_role("heading", name="You are already signed in").is_visible()
    assert accessibility_violations(page) == []

    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=send_officer, name="Authenticator app", confirmed=True)
    two_factor.new_recovery_codes(send_officer)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="See how many you have left, or make new ones").click()
    page.wait_for_load_state()
    # OTP is not enforced here, but the codes page wants a verified session.
    assert page.get_by_role(
        "heading", name="Enter the code from your authenticator app"
    ).is_visible()
