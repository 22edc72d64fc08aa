import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_address_answers_in_json(client, senco_a):
    client.force_login(senco_a)
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_write_without_its_token_to_an_unknown_api_address_is_refused_in_json(senco_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a browser's session is checked
    client.force_login(senco_a)
    response = client.patch("/api/v1/term-dates/2.5e-83/", "a=1",
                            content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    page = client.post("/requests/new/", {"a": "1"})  # a page keeps Django's own answer
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")
