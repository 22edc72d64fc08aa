"""The API keeps its contract: JSON answers for every malformed address, errors in the
schema, a 401 challenge for wrong Basic credentials, nullable fields said to be so, no
way to learn which school ids exist, and the docs behind sign-in and the CSP."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from clusters.models import Role
from tests.factories import FundingRequestFactory, FundingStreamFactory, SchoolFactory, make_user

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def schema_of(user) -> dict:
    response = api(user).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("q", ["²", "¹", "١٢", "99999999999999999999999", " 42 "])
def test_searching_schools_with_any_digits_answers(senco_a, q):
    response = api(senco_a).get("/api/v1/schools/", {"q": q})
    assert response.status_code == 200
    assert response.json()["results"] == [] or q.strip() == "42"


def test_a_search_by_urn_still_finds_the_school(senco_a):
    school = senco_a.memberships.get().school
    found = api(senco_a).get("/api/v1/schools/", {"q": str(school.urn)}).json()["results"]
    assert [s["urn"] for s in found] == [school.urn]


@pytest.mark.parametrize("value", ["²", "1e30", "99999999999999999999999"])
def test_budget_filters_ignore_what_is_not_an_id(finance_officer, value):
    for url in ("/api/v1/budgets/", "/api/v1/ledger/"):
        assert api(finance_officer).get(url, {"cluster": value}).status_code == 200


@pytest.mark.parametrize("bad", ["abc", "1.5", "²", "-1", "99999999999999999999999"])
def test_every_route_answers_a_malformed_id_in_json(send_officer, bad):
    client = api(send_officer)
    paths = [p for p in schema_of(send_officer)["paths"] if "{" in p]
    assert len(paths) >= 20
    for template in paths:
        url = re.sub(r"\{[^}]+\}", bad, template)
        response = client.get(url)
        assert response.status_code in (404, 405), (url, response.status_code)
        assert response["Content-Type"] == "application/json", url
        if response.status_code == 404:
            assert "detail" in response.json(), url


def test_a_malformed_id_answers_in_json_with_debug_on_too(settings, send_officer):
    settings.DEBUG = True
    response = api(send_officer).get("/api/v1/agenda-items/abc/views/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    # An address without its trailing slash is still redirected to the one with it.
    assert api(send_officer).get("/api/v1/requests").status_code == 301


def test_every_operation_documents_its_error_answers(send_officer):
    schema = schema_of(send_officer)
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["detail"] == {"type": "string"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            expected = {"400", "401", "403", "404"}
            if method != "get":
                expected.add("409")
            assert expected <= codes, (method, path, codes)
            for code in expected:
                ref = operation["responses"][code]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_fields_that_can_be_empty_are_nullable_in_the_schema(send_officer):
    schemas = schema_of(send_officer)["components"]["schemas"]
    assert schemas["Event"]["properties"]["actor"]["nullable"] is True
    school_cluster = schemas["School"]["properties"]["cluster"]
    assert school_cluster.get("nullable") is True or {"type": "null"} in school_cluster.get(
        "oneOf", []
    )
    assert schemas["Meeting"]["properties"]["chair"]["nullable"] is True


def test_an_unmapped_school_answers_with_no_cluster(send_officer):
    school = SchoolFactory(cluster=None, name="Unmapped Primary")
    body = api(send_officer).get(f"/api/v1/schools/{school.urn}/").json()
    assert body["cluster"] is None


def test_wrong_basic_credentials_are_challenged_with_401(senco_a):
    token = base64.b64encode(f"{senco_a.username}:wrong".encode()).decode()
    response = APIClient().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json() == {"detail": "Invalid username/password."}


def test_right_basic_credentials_still_work(senco_a, password):
    token = base64.b64encode(f"{senco_a.username}:{password}".encode()).decode()
    response = APIClient().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 200


def test_another_schools_id_answers_as_a_missing_one_does(senco_a, school_b):
    FundingStreamFactory()
    stream = FundingStreamFactory._meta.model.objects.get()
    client = api(senco_a)
    other = client.post("/api/v1/requests/", {"school": school_b.pk, "stream": stream.pk})
    missing = client.post("/api/v1/requests/", {"school": 999999, "stream": stream.pk})
    assert other.status_code == missing.status_code == 400
    assert other.json()["school"] == [
        m.replace("999999", str(school_b.pk)) for m in missing.json()["school"]
    ]


def test_the_schema_and_docs_are_for_signed_in_users_in_production(settings, senco_a):
    settings.API_DOCS_PUBLIC = False
    assert api().get("/api/schema/").status_code in (401, 403)
    response = Client().get("/api/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert api(senco_a).get("/api/schema/").status_code == 200


def test_the_docs_page_runs_under_the_csp_with_nothing_inline(client, senco_a):
    client.force_login(make_user(Role.LA_SEND_OFFICER, username="docs_reader"))
    page = client.get("/api/docs/")
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = page.content.decode()
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_a_draft_withdrawn_before_it_was_submitted_needs_no_reference(senco_a):
    # Found by the fuzz: the withdrawal crashed on the "reference once submitted" rule.
    draft = FundingRequestFactory(school=senco_a.memberships.get().school, created_by=senco_a)
    assert draft.state == "draft" and not draft.reference
    response = api(senco_a).post(
        f"/api/v1/requests/{draft.pk}/withdraw/", {"message": "Not needed now"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "withdrawn" and response.json()["reference"] is None
