import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_address_answers_in_json(client, senco_a):
    client.force_login(senco_a)
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_write_to_an_unknown_api_address_is_not_found_not_a_csrf_page(senco_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a browser's session is checked
    client.force_login(senco_a)
    response = client.patch("/api/v1/term-dates/2.5e-83/", "a=1",
                            content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_answers_in_the_services_look(client, senco_a):
    client.force_login(senco_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "govuk-heading-l" in response.content.decode()
