"""Single sign-on against a real OpenID Connect provider started on 127.0.0.1
(bin/oidc_provider.mjs: panva's oidc-provider from npm). The portal's test client
sends the person to the provider; their requests follow its real sign-in page and
redirects; the portal then exchanges the code over HTTP and checks the ID token
against the provider's published keys. Nothing is mocked."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import services
from clusters.models import Membership, Role
from tests.factories import SchoolFactory, make_user
from tests.oidc.server import oidc_provider, sign_in_at_provider

pytestmark = pytest.mark.django_db
User = get_user_model()
CALLBACK = "http://testserver/account/sso/county/login/callback/"


def person(email, *, verified=True, amr=("pwd",), misbehave=None, given="Test", family="Person"):
    found = {"email": email, "email_verified": verified, "given_name": given,
             "family_name": family, "amr": list(amr)}  # fmt: skip
    if misbehave:
        found["misbehave"] = misbehave
    return found


ACCOUNTS = {
    "cara@brookside.sch.uk": person("cara@brookside.sch.uk", given="Cara", family="Lewis"),
    "stranger@brookside.sch.uk": person("stranger@brookside.sch.uk"),
    "unverified@brookside.sch.uk": person("unverified@brookside.sch.uk", verified=False),
    "outsider@elsewhere.org": person("outsider@elsewhere.org"),
    "wrongaud@brookside.sch.uk": person("wrongaud@brookside.sch.uk", misbehave="audience"),
    "forged@brookside.sch.uk": person("forged@brookside.sch.uk", misbehave="signature"),
    "officer@county.gov.uk": person("officer@county.gov.uk", amr=("pwd", "mfa")),
    "officer2@county.gov.uk": person("officer2@county.gov.uk"),
    "closed@brookside.sch.uk": person("closed@brookside.sch.uk"),
}


@pytest.fixture(scope="module")
def provider_url():
    clients = [{"client_id": "portal", "client_secret": "test-secret", "redirect_uris": [CALLBACK]}]
    with oidc_provider(clients=clients, accounts=ACCOUNTS) as url:
        yield url


@pytest.fixture
def sso(settings, provider_url):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "county",
                    "name": "the county's sign-in",
                    "client_id": "portal",
                    "secret": "test-secret",
                    "settings": {
                        "server_url": provider_url,
                        "domains": ["brookside.sch.uk", "county.gov.uk"],
                        "mfa_amr": ["mfa"],
                    },
                }
            ],
        }
    }
    return provider_url


@pytest.fixture
def brookside(db):
    return SchoolFactory(urn=123402, name="Brookside Primary")


def invite(officer, email, role=Role.SENCO, school=None):
    return services.invite(
        by=officer, email=email, first_name="In", last_name="Vited", role=role, school=school
    )


def sign_in_through_provider(client, login: str, start=None):
    """Press "Sign in with ..." on the portal, sign in at the provider as ``login``,
    come back: the portal's answer to the callback."""
    started = client.post(start or reverse("openid_connect_login", args=["county"]),
                          {"process": "login"})  # fmt: skip
    assert started.status_code == 302, started.content[:300]
    back = sign_in_at_provider(started.url, login, until=CALLBACK)
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}")


def test_an_invited_senco_signs_in_through_the_provider_and_lands_on_their_schools_dashboard(
    client, sso, send_officer, brookside
):
    invite(send_officer, "cara@brookside.sch.uk", school=brookside)
    sign_in_page = client.get(reverse("login")).content.decode()
    assert "Sign in with the county&#x27;s sign-in" in sign_in_page

    answer = sign_in_through_provider(client, "cara@brookside.sch.uk")
    assert answer.status_code == 302 and answer.url == reverse("dashboard"), answer.content[:500]
    cara = User.objects.get(email="cara@brookside.sch.uk")
    assert not cara.has_usable_password()
    assert list(Membership.objects.filter(user=cara).values_list("role", "school__urn")) == [
        (Role.SENCO, 123402)
    ]
    assert SocialAccount.objects.filter(user=cara, provider="county").exists()
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Signed in as In Vited (SENCO)" in dashboard

    # Next time: the same identity, the same account, no second invitation needed.
    client.logout()
    again = sign_in_through_provider(client, "cara@brookside.sch.uk")
    assert again.status_code == 302 and again.url == reverse("dashboard")
    assert User.objects.filter(email="cara@brookside.sch.uk").count() == 1


def test_an_invitation_page_offers_the_provider_and_accepts_through_it(
    client, sso, send_officer, brookside
):
    invitation = invite(send_officer, "cara@brookside.sch.uk", school=brookside)
    link = services.link_for(invitation).removeprefix("http://127.0.0.1:8000")
    page = client.get(link).content.decode()
    assert "Use the county&#x27;s sign-in" in page
    token = link.rstrip("/").rsplit("/", 1)[1]
    started = client.post(
        reverse("openid_connect_login", args=["county"]), {"process": "login", "invitation": token}
    )
    back = sign_in_at_provider(started.url, "cara@brookside.sch.uk", until=CALLBACK)
    parts = urlsplit(back)
    answer = client.get(f"{parts.path}?{parts.query}")
    assert answer.status_code == 302 and answer.url == reverse("dashboard")
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_an_unknown_identity_is_told_to_ask_the_la_and_gets_no_account(client, sso, brookside):
    answer = sign_in_through_provider(client, "stranger@brookside.sch.uk")
    assert answer.status_code == 403
    assert "Ask your LA to invite you" in answer.content.decode()
    assert not User.objects.filter(email="stranger@brookside.sch.uk").exists()
    assert not SocialAccount.objects.exists()
    assert not client.get(reverse("dashboard")).wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    "login, words",
    [
        ("unverified@brookside.sch.uk", "has not verified your email address"),
        ("outsider@elsewhere.org", "cannot sign in through"),
        ("wrongaud@brookside.sch.uk", "Single sign-on did not work"),
        ("forged@brookside.sch.uk", "Single sign-on did not work"),
    ],
    ids=[
        "unverified email",
        "email outside the allowed domains",
        "wrong audience",
        "bad signature",
    ],  # fmt: skip
)
def test_a_bad_answer_from_the_provider_is_refused_with_no_account(
    client, sso, send_officer, brookside, login, words
):
    # Each of them was invited: only the provider's answer is wrong.
    invite(send_officer, login, school=brookside)
    answer = sign_in_through_provider(client, login)
    assert words in answer.content.decode()
    assert not User.objects.filter(email=login).exists()
    assert not SocialAccount.objects.exists()
    assert not client.get(reverse("dashboard")).wsgi_request.user.is_authenticated


def test_two_factor_is_owed_unless_the_provider_asserts_mfa(client, settings, sso, db):
    settings.OTP_ENFORCED = True
    make_user(Role.LA_SEND_OFFICER, username="officer", email="officer@county.gov.uk")
    make_user(Role.LA_SEND_OFFICER, username="officer2", email="officer2@county.gov.uk")

    answer = sign_in_through_provider(client, "officer@county.gov.uk")
    assert answer.status_code == 302 and answer.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200, "amr has mfa: no code owed"

    client.logout()
    answer = sign_in_through_provider(client, "officer2@county.gov.uk")
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 302
    assert dashboard.url.startswith(reverse("two_factor:verify"))

    # A later password sign-in owes the code again, whatever the provider said before.
    client.logout()
    sign_in_through_provider(client, "officer@county.gov.uk")
    officer = User.objects.get(username="officer")
    officer.set_password("larch-meadow-quiet-74")
    officer.save()
    client.post(reverse("login"), {"username": "officer", "password": "larch-meadow-quiet-74"})
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_closed_account_is_refused_even_with_an_invitation(client, sso, send_officer, brookside):
    closed = make_user(Role.SENCO, school=brookside, username="closed",
                       email="closed@brookside.sch.uk", is_active=False)  # fmt: skip
    answer = sign_in_through_provider(client, "closed@brookside.sch.uk")
    assert answer.status_code == 403
    assert "Your account is closed" in answer.content.decode()
    assert not SocialAccount.objects.filter(user=closed).exists()
    assert not client.get(reverse("dashboard")).wsgi_request.user.is_authenticated
    assert client.get(reverse("account_inactive")).status_code == 403
