import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_senco_signs_in_and_lands_on_their_dashboard(client, senco_a, password):
    response = client.post(
        reverse("login"), {"username": "senco_a", "password": password}, follow=True
    )
    assert response.status_code == 200
    assert b"Start or continue a funding request" in response.content


def test_a_wrong_password_is_refused_with_a_message(client, senco_a):
    response = client.post(reverse("login"), {"username": "senco_a", "password": "nope"})
    assert response.status_code == 200
    assert b"There is a problem" in response.content


def test_signing_out_needs_a_post(client, senco_a):
    client.force_login(senco_a)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302


def test_health_check(client):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}
