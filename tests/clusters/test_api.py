"""The read-only API answers with the same scope as the pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from clusters.models import Role
from tests.factories import SchoolFactory, SchoolYearStatsFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(school_a, school_b):
    peer = SchoolFactory(name="Ashfield Juniors", cluster=school_a.cluster)
    for school in (school_a, school_b, peer):
        SchoolYearStatsFactory(school=school, academic_year=2024, number_on_roll=100)
        SchoolYearStatsFactory(school=school, academic_year=2025, number_on_roll=200)
    return {"a": school_a.cluster, "b": school_b.cluster, "peer": peer}


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def urns(response):
    return {s["urn"] for s in response.json()["results"]}


def test_the_api_needs_sign_in(county):
    for url in ("/api/v1/districts/", "/api/v1/clusters/", "/api/v1/schools/"):
        assert api().get(url).status_code in (401, 403)


def test_an_la_officer_lists_every_cluster_and_school(county, finance_officer, school_a, school_b):
    client = api(finance_officer)

    clusters = client.get("/api/v1/clusters/").json()["results"]
    assert {c["id"] for c in clusters} == {county["a"].pk, county["b"].pk}
    assert {c["school_count"] for c in clusters} == {1, 2}
    assert urns(client.get("/api/v1/schools/")) == {school_a.urn, school_b.urn, county["peer"].urn}


def test_a_senco_lists_only_their_own_clusters_schools(county, senco_a, school_a, school_b):
    client = api(senco_a)

    assert [c["id"] for c in client.get("/api/v1/clusters/").json()["results"]] == [county["a"].pk]
    assert urns(client.get("/api/v1/schools/")) == {school_a.urn, county["peer"].urn}


def test_a_senco_gets_404_for_another_clusters_school_and_cluster(county, senco_a, school_b):
    client = api(senco_a)

    assert client.get(f"/api/v1/schools/{school_b.urn}/").status_code == 404
    assert client.get(f"/api/v1/clusters/{county['b'].pk}/").status_code == 404
    assert client.get(f"/api/v1/clusters/{county['a'].pk}/").status_code == 200


def test_district_and_cluster_names_are_public_to_anyone_with_a_role(county, senco_a):
    districts = api(senco_a).get("/api/v1/districts/").json()["results"]

    names = {c["name"] for d in districts for c in d["clusters"]}
    assert names == {county["a"].name, county["b"].name}


def test_a_user_with_no_role_gets_empty_lists(county, school_a):
    from tests.factories import UserFactory

    client = api(UserFactory())

    assert client.get("/api/v1/districts/").json()["count"] == 0
    assert client.get("/api/v1/schools/").json()["count"] == 0
    assert client.get(f"/api/v1/schools/{school_a.urn}/").status_code == 404


def test_a_school_comes_with_its_newest_figures_and_in_detail_every_year(county, head_a, school_a):
    client = api(head_a)

    listed = next(
        s for s in client.get("/api/v1/schools/").json()["results"] if s["urn"] == school_a.urn
    )
    assert listed["latest_stats"]["academic_year"] == 2025
    assert listed["latest_stats"]["number_on_roll"] == 200
    assert listed["cluster"]["id"] == county["a"].pk

    detail = client.get(f"/api/v1/schools/{school_a.urn}/").json()
    assert [y["academic_year"] for y in detail["year_stats"]] == [2025, 2024]
    assert detail["year_stats"][0]["fsm_percent"] == "15.00"  # Decimal as a string, never a float


def test_schools_can_be_filtered(county, send_officer, school_b):
    client = api(send_officer)

    assert urns(client.get("/api/v1/schools/", {"cluster": county["b"].pk})) == {school_b.urn}
    assert urns(client.get("/api/v1/schools/", {"q": "juniors"})) == {county["peer"].urn}
    assert urns(client.get("/api/v1/schools/", {"q": str(school_b.urn)})) == {school_b.urn}
    district = county["b"].district.code
    assert urns(client.get("/api/v1/schools/", {"district": district})) == {school_b.urn}


def test_a_panel_member_lists_their_panels_cluster(county, school_b):
    member = make_user(Role.PANEL_MEMBER, cluster=county["b"])

    assert urns(api(member).get("/api/v1/schools/")) == {school_b.urn}


def test_the_api_is_read_only(county, send_officer, school_a):
    client = api(send_officer)

    assert client.post("/api/v1/schools/", {"urn": 1, "name": "x"}).status_code == 405
    assert client.delete(f"/api/v1/schools/{school_a.urn}/").status_code == 405
    assert client.patch(f"/api/v1/clusters/{county['a'].pk}/", {"name": "x"}).status_code == 405


def test_the_school_list_costs_the_same_queries_for_5_or_50_schools(
    send_officer, password, django_assert_max_num_queries
):
    client = APIClient()
    assert client.login(username=send_officer.username, password=password)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/schools/").status_code == 200
        return len(queries)

    for _ in range(5):
        SchoolYearStatsFactory()
    few = count()
    for _ in range(45):
        SchoolYearStatsFactory()
    assert count() == few
    with django_assert_max_num_queries(7):
        client.get("/api/v1/schools/")


def test_the_openapi_schema_and_docs_describe_these_endpoints(client, send_officer, password):
    schema = api(send_officer).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/districts/",
        "/api/v1/clusters/",
        "/api/v1/clusters/{id}/",
        "/api/v1/schools/",
        "/api/v1/schools/{urn}/",
    ):
        assert path in paths
    assert client.login(username=send_officer.username, password=password)
    assert client.get("/api/docs/").status_code == 200
