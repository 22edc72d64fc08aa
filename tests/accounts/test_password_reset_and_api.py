"""Password reset by email (django-allauth, in GOV.UK pages), and the invitations API
with the same rules as the pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Invitation
from clusters.models import Role
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db
NEW = "willow-harbour-brisk-93"


def test_a_person_who_forgot_their_password_resets_it_by_email(client, senco_a):
    sign_in = client.get(reverse("login"))
    assert reverse("account_reset_password") in sign_in.content.decode()
    asked = client.post(reverse("account_reset_password"), {"email": senco_a.email.upper()})
    assert asked.status_code == 302
    assert "Check your email" in client.get(asked.url).content.decode()
    (message,) = mail.outbox
    assert message.to == [senco_a.email]
    link = re.search(r"https?://[^/\s]+(/account/password/reset/key/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    target = form.redirect_chain[-1][0] if form.redirect_chain else link
    short = client.post(target, {"password1": "short", "password2": "short"})
    assert "Your password must be at least 8 characters" in short.content.decode()
    done = client.post(target, {"password1": NEW, "password2": NEW})
    assert done.status_code == 302
    senco_a.refresh_from_db()
    assert senco_a.check_password(NEW)
    # The link worked once.
    again = client.get(link, follow=True)
    assert "This reset link cannot be used" in again.content.decode()


def test_an_unknown_address_is_told_the_same_and_sent_nothing(client, db):
    asked = client.post(reverse("account_reset_password"), {"email": "nobody@nowhere.uk"})
    assert asked.status_code == 302
    assert len(mail.outbox) == 0


def test_allauths_own_sign_in_and_sign_up_lead_to_the_portals_pages(client, db):
    assert client.get("/account/login/").url == reverse("login")
    assert client.get("/account/signup/").url == reverse("not_invited")
    assert "Ask your LA to invite you" in client.get(reverse("not_invited")).content.decode()


@pytest.fixture
def api(send_officer):
    client = APIClient()
    client.force_authenticate(send_officer)
    return client


def test_the_api_invites_lists_bulk_previews_applies_and_revokes(api, db):
    school = SchoolFactory(urn=223344)
    made = api.post(
        "/api/v1/invitations/",
        {"email": "a@b.sch.uk", "first_name": "A", "last_name": "B", "role": "senco",
         "school_urn": 223344},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.json()
    assert made.json()["state"] == "pending"
    twice = api.post(
        "/api/v1/invitations/",
        {"email": "a@b.sch.uk", "first_name": "A", "last_name": "B", "role": "senco",
         "school_urn": 223344},
        format="json",
    )  # fmt: skip
    assert twice.status_code == 409 and "already has an invitation" in twice.json()["detail"]
    no_school = api.post(
        "/api/v1/invitations/",
        {"email": "c@b.sch.uk", "first_name": "C", "last_name": "B", "role": "senco"},
        format="json",
    )  # fmt: skip
    assert no_school.status_code == 400

    text = f"URN,role,first name,last name,email\n{school.urn},Headteacher,H,T,h@b.sch.uk\n{school.urn},SENCO,A,B,a@b.sch.uk\n"
    preview = api.post("/api/v1/invitations/bulk/", {"csv": text}, format="json")
    assert preview.status_code == 200
    body = preview.json()
    assert (body["applied"], body["new"], body["unchanged"]) == (False, 1, 1)
    assert Invitation.objects.count() == 1
    applied = api.post("/api/v1/invitations/bulk/", {"csv": text, "apply": True}, format="json")
    assert applied.json()["applied"] is True and Invitation.objects.count() == 2
    bad = api.post(
        "/api/v1/invitations/bulk/", {"csv": text + "1,SENCO,X,Y,x@y.uk\n", "apply": True},
        format="json",
    )  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["problems"] == [
        {"line": 4, "column": "URN", "message": "no school in the portal has URN “1”"}
    ]
    assert Invitation.objects.count() == 2

    listed = api.get("/api/v1/invitations/")
    assert listed.json()["count"] == 2
    pk = made.json()["id"]
    revoked = api.post(f"/api/v1/invitations/{pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"


def test_the_api_refuses_school_staff(senco_a, school_a):
    client = APIClient()
    client.force_authenticate(senco_a)
    assert client.get("/api/v1/invitations/").status_code == 403
    assert client.post(
        "/api/v1/invitations/",
        {"email": "a@b.uk", "first_name": "A", "last_name": "B", "role": Role.SENCO,
         "school_urn": school_a.urn},
        format="json",
    ).status_code == 403  # fmt: skip
    assert client.post("/api/v1/invitations/bulk/", {"csv": "x"}, format="json").status_code == 403
