import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_address_answers_in_json(client, senco_a):
    client.force_login(senco_a)
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_answers_in_the_services_look(client, senco_a):
    client.force_login(senco_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "govuk-heading-l" in response.content.decode()
