"""Go-live, as the county lives it: the LA SEND officer invites the county's school staff
from one CSV file; a SENCO opens her emailed link and sets a password; a headteacher signs
in through the local OpenID Connect provider (a real one, on 127.0.0.1) and lands on his
school's dashboard; someone the LA never invited gets no way in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation
from tests.factories import SchoolFactory
from tests.oidc.server import oidc_provider, sign_in_at_provider

pytestmark = pytest.mark.django_db
User = get_user_model()
CALLBACK = "http://testserver/account/sso/county/login/callback/"
STRONG = "larch-meadow-quiet-74"


def test_a_county_goes_live(settings, client, send_officer, django_capture_on_commit_callbacks):
    schools = [SchoolFactory(urn=140000 + n, name=f"School {n} Primary") for n in range(30)]
    rows = [
        f"{s.urn},SENCO,Senco{n},Staff,senco{n}@school{n}.sch.uk" for n, s in enumerate(schools)
    ]
    rows += [
        f"{s.urn},Headteacher,Head{n},Staff,head{n}@school{n}.sch.uk" for n, s in enumerate(schools)
    ]
    csv = "URN,role,first name,last name,email\n" + "\n".join(rows) + "\n"

    # The officer checks the file, then sends it: 60 invitations, one email each.
    client.force_login(send_officer)
    preview = client.post(
        reverse("accounts:bulk"), {"file": SimpleUploadedFile("county.csv", csv.encode())}
    )
    assert "60 new invitations; 0 unchanged" in preview.content.decode()
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:bulk"), {"payload": payload})
    assert Invitation.objects.count() == 60 and len(mail.outbox) == 60
    client.logout()

    # The SENCO of school 3 sets a password from her email and lands on her dashboard.
    (email,) = [m for m in mail.outbox if m.to == ["senco3@school3.sch.uk"]]
    link = "/" + re.search(r"https?://\S+/(invitations/accept/\S+/)", email.body).group(1)
    senco = Client()
    made = senco.post(link, {"password1": STRONG, "password2": STRONG}, follow=True)
    assert made.redirect_chain[-1][0] == reverse("dashboard")
    assert "Signed in as Senco3 Staff (SENCO)" in made.content.decode()

    # The head of school 7 uses his organisation's account instead.
    people = {
        login: {"email": login, "email_verified": True, "given_name": "Head7",
                "family_name": "Staff", "amr": ["pwd"]}
        for login in ("head7@school7.sch.uk", "nobody@school7.sch.uk")
    }  # fmt: skip
    clients = [{"client_id": "portal", "client_secret": "s3cret", "redirect_uris": [CALLBACK]}]
    with oidc_provider(clients=clients, accounts=people) as issuer:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "APPS": [{"provider_id": "county", "name": "Schools' sign-in",
                          "client_id": "portal", "secret": "s3cret",
                          "settings": {"server_url": issuer, "domains": ["school7.sch.uk"]}}],
            }
        }  # fmt: skip

        def through_provider(browser: Client, login: str):
            started = browser.post(
                reverse("openid_connect_login", args=["county"]), {"process": "login"}
            )
            back = urlsplit(sign_in_at_provider(started.url, login, until=CALLBACK))
            return browser.get(f"{back.path}?{back.query}", follow=True)

        head = through_provider(Client(), "head7@school7.sch.uk")
        assert head.redirect_chain[-1][0] == reverse("dashboard")
        page = head.content.decode()
        assert "Signed in as" in page and "(Headteacher)" in page
        assert "All your school's requests" in page

        nobody = through_provider(Client(), "nobody@school7.sch.uk")
        assert nobody.status_code == 403
        assert "Ask your LA to invite you" in nobody.content.decode()
    assert not User.objects.filter(email="nobody@school7.sch.uk").exists()
    head7 = User.objects.get(email="head7@school7.sch.uk")
    assert head7.memberships.get().school.urn == 140007

    # Running the same file again invites no one twice.
    client.force_login(send_officer)
    again = client.post(
        reverse("accounts:bulk"), {"file": SimpleUploadedFile("county.csv", csv.encode())}
    )
    assert "58 new invitations" not in again.content.decode()
    assert "0 new invitations; 60 unchanged" in again.content.decode()
