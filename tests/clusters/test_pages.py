"""People find their cluster, its schools and their figures; nobody sees another cluster's."""

from html import escape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clusters.models import Role
from tests.factories import (
    ClusterFactory,
    SchoolFactory,
    SchoolYearStatsFactory,
    UserFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(school_a, school_b):
    """Two clusters: A (school_a and a peer) and B (school_b), with 2024 and 2025 figures."""
    peer = SchoolFactory(name="Ashfield Juniors", cluster=school_a.cluster)
    for school in (school_a, school_b, peer):
        SchoolYearStatsFactory(school=school, academic_year=2024, number_on_roll=100)
        SchoolYearStatsFactory(school=school, academic_year=2025, number_on_roll=200)
    return {"a": school_a.cluster, "b": school_b.cluster, "peer": peer}


def login(client, user, password):
    assert client.login(username=user.username, password=password)
    return client


def cluster_url(cluster):
    return reverse("clusters:cluster", args=[cluster.pk])


def school_url(school):
    return reverse("clusters:school", args=[school.urn])


def test_pages_need_sign_in(client, county, school_a):
    for url in (reverse("clusters:directory"), cluster_url(county["a"]), school_url(school_a)):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_an_la_officer_sees_every_cluster_with_its_schools_and_figures(
    client, county, send_officer, password
):
    response = login(client, send_officer, password).get(reverse("clusters:directory"))

    html = response.content.decode()
    assert response.status_code == 200
    for cluster in (county["a"], county["b"]):
        assert cluster_url(cluster) in html
    assert "Brookside Primary" in html and "Ashfield Juniors" in html
    assert "400" in html  # cluster A's roll for 2025: 2 × 200
    assert response.context["year"] == 2025


def test_a_senco_sees_their_own_cluster_in_full_and_other_clusters_by_name_only(
    client, county, senco_a, password
):
    response = login(client, senco_a, password).get(reverse("clusters:directory"))

    html = response.content.decode()
    assert cluster_url(county["a"]) in html
    assert "Ashfield Juniors" in html
    assert county["b"].name in html  # the name is public
    assert cluster_url(county["b"]) not in html
    assert "Brookside Primary" not in html


def test_a_senco_opens_their_cluster_and_a_peer_school_but_gets_404_elsewhere(
    client, county, senco_a, school_a, school_b, password
):
    login(client, senco_a, password)

    assert client.get(cluster_url(county["a"])).status_code == 200
    assert client.get(school_url(school_a)).status_code == 200
    assert client.get(school_url(county["peer"])).status_code == 200
    assert client.get(cluster_url(county["b"])).status_code == 404
    assert client.get(school_url(school_b)).status_code == 404
    assert client.get(reverse("clusters:school", args=[999999])).status_code == 404


def test_a_schools_people_are_shown_to_its_own_staff_and_the_la_only(
    client, county, senco_a, head_a, send_officer, school_a, password
):
    peer_senco = make_user(Role.SENCO, school=county["peer"], username="peer_senco")

    own = login(client, senco_a, password).get(school_url(school_a))
    assert own.context["page"].people is not None
    assert escape(head_a.get_full_name()) in own.content.decode()

    client.logout()
    peer = login(client, peer_senco, password).get(school_url(school_a))
    assert peer.status_code == 200 and peer.context["page"].people is None
    assert 'data-testid="people"' not in peer.content.decode()

    client.logout()
    la = login(client, send_officer, password).get(school_url(school_a))
    assert la.context["page"].people is not None


def test_a_panel_member_sees_their_panels_cluster(client, county, school_a, school_b, password):
    member = make_user(Role.PANEL_MEMBER, cluster=county["b"], username="ep_b")
    login(client, member, password)

    assert client.get(cluster_url(county["b"])).status_code == 200
    assert client.get(school_url(school_b)).status_code == 200
    assert client.get(cluster_url(county["a"])).status_code == 404
    assert client.get(school_url(school_a)).status_code == 404


def test_a_user_with_no_role_sees_nothing(client, county, school_a, password):
    nobody = UserFactory(username="nobody")
    login(client, nobody, password)

    response = client.get(reverse("clusters:directory"))
    assert county["a"].name not in response.content.decode()
    assert "Ask your LA to give you a role" in response.content.decode()
    assert client.get(cluster_url(county["a"])).status_code == 404
    assert client.get(school_url(school_a)).status_code == 404


def test_the_school_page_lists_every_years_figures(
    client, county, school_a, send_officer, password
):
    response = login(client, send_officer, password).get(school_url(school_a))

    html = response.content.decode()
    assert "2025/26" in html and "2024/25" in html
    assert school_a.name in html and str(school_a.urn) in html


def test_an_earlier_year_can_be_chosen(client, county, send_officer, password):
    login(client, send_officer, password)

    response = client.get(cluster_url(county["a"]), {"year": "2024"})
    assert response.context["year"] == 2024
    assert response.context["entry"].totals.number_on_roll == 200
    # A year with no figures falls back to the newest rather than an empty page.
    assert client.get(cluster_url(county["a"]), {"year": "1999"}).context["year"] == 2025
    assert client.get(cluster_url(county["a"]), {"year": "nonsense"}).context["year"] == 2025


def test_pages_work_before_any_figures_are_imported(client, school_a, send_officer, password):
    login(client, send_officer, password)

    assert client.get(reverse("clusters:directory")).status_code == 200
    response = client.get(cluster_url(school_a.cluster))
    assert "No yearly figures have been imported yet" in response.content.decode()
    assert client.get(school_url(school_a)).status_code == 200


# --- a constant number of queries whatever the number of schools -------------------------


def _county_of(n_schools: int, n_clusters: int = 5):
    clusters = [ClusterFactory() for _ in range(n_clusters)]
    for i in range(n_schools):
        school = SchoolFactory(cluster=clusters[i % n_clusters])
        SchoolYearStatsFactory(school=school, academic_year=2025)
        SchoolYearStatsFactory(school=school, academic_year=2024)
    return clusters


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["send_officer", "senco"])
def test_the_directory_costs_the_same_queries_for_5_or_50_schools(
    client, who, send_officer, password, django_assert_max_num_queries
):
    small = _county_of(5)
    user = (
        send_officer
        if who == "send_officer"
        else make_user(Role.SENCO, school=small[0].schools.first())
    )
    login(client, user, password)
    few = _count(client, reverse("clusters:directory"))

    _county_of(45)
    many = _count(client, reverse("clusters:directory"))

    assert few == many
    with django_assert_max_num_queries(10):
        client.get(reverse("clusters:directory"))


def test_the_cluster_page_costs_the_same_queries_for_5_or_50_schools(
    client, send_officer, password, django_assert_max_num_queries
):
    cluster = ClusterFactory()
    for _ in range(5):
        SchoolYearStatsFactory(school=SchoolFactory(cluster=cluster))
    login(client, send_officer, password)
    few = _count(client, cluster_url(cluster))

    for _ in range(45):
        SchoolYearStatsFactory(school=SchoolFactory(cluster=cluster))
    many = _count(client, cluster_url(cluster))

    assert few == many
    with django_assert_max_num_queries(10):
        client.get(cluster_url(cluster))


# --- the dashboard -----------------------------------------------------------------------


def test_school_staff_see_their_cluster_on_the_dashboard(client, county, senco_a, password):
    response = login(client, senco_a, password).get(reverse("dashboard"))

    html = response.content.decode()
    assert "Your cluster" in html
    assert cluster_url(county["a"]) in html
    assert cluster_url(county["b"]) not in html


def test_la_officers_are_warned_of_open_schools_in_no_cluster(
    client, county, send_officer, password
):
    orphan = SchoolFactory(name="Lonely Lane Primary", cluster=None)

    response = login(client, send_officer, password).get(reverse("dashboard"))

    html = response.content.decode()
    assert "1 open school in no cluster" in html
    assert school_url(orphan) in html


def test_the_la_can_open_a_school_in_no_cluster(client, send_officer, password):
    orphan = SchoolFactory(cluster=None)

    response = login(client, send_officer, password).get(school_url(orphan))

    assert response.status_code == 200
    assert "Not in a cluster" in response.content.decode()
