"""The LA SEND officer keeps the cluster map in the portal: moves a school to another
cluster (its new requests then go to that cluster's panel, and the old panel's members
no longer see them), renames a cluster or adds one to a district; a change made
meanwhile by someone else is never overwritten (409), and every change is audited."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse

from clusters.models import Cluster, School
from panels import selectors as panel_selectors
from panels import services as panel_services
from panels.services._common import PanelError
from portal.roles import scope_for
from reports.selectors import headteacher_cluster_ids
from tests.factories import DistrictFactory
from tests.security.conftest import build_world, ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(password):
    return build_world(password)


@pytest.fixture
def officer(client, world):
    client.force_login(world.send_officer)
    return client


def fresh(user):
    """The user read again: a scope is worked out once per user object."""
    return get_user_model().objects.get(pk=user.pk)


def move(client, school, to, expected):
    return client.post(
        reverse("clusters:move_school", args=[school.urn]),
        {"cluster": to.pk, "expected_cluster": expected.pk if expected else ""},
    )


def test_moving_a_school_moves_its_new_requests_and_what_its_people_see(officer, world):
    a, b = world.a, world.b
    page = officer.get(reverse("clusters:edit", args=[a.cluster.pk])).content.decode()
    assert "School A Primary" in page
    assert reverse("clusters:move_school", args=[a.school.urn]) in page

    response = move(officer, a.school, b.cluster, expected=a.cluster)

    assert response.status_code == 302
    assert response["Location"] == reverse("clusters:edit", args=[b.cluster.pk])
    school = School.objects.get(pk=a.school.pk)
    assert school.cluster == b.cluster
    # Its staff now see cluster B, in their scope and in the reports they may ask for.
    assert scope_for(fresh(a.head)).cluster_ids == {b.cluster.pk}
    assert headteacher_cluster_ids(fresh(a.head)) == {b.cluster.pk}
    # A new request goes to cluster B's panel: never onto cluster A's agenda.
    new = ready(school, a.senco, "A")
    assert new.cluster == b.cluster
    assert panel_selectors.panel_for_request(new) == b.panel
    with pytest.raises(PanelError, match="goes to"):
        panel_services.schedule_request(new, by=world.send_officer, meeting=a.next_meeting)
    item = panel_services.schedule_request(new, by=world.send_officer, meeting=b.next_meeting)
    assert not panel_selectors.visible_items(fresh(a.ep)).filter(pk=item.pk).exists()
    assert panel_selectors.visible_items(fresh(b.ep)).filter(pk=item.pk).exists()
    # The request it made before stays with cluster A's panel.
    assert a.scheduled.cluster == a.cluster
    # Audited: who moved it, from where to where.
    entry = LogEntry.objects.get_for_object(school).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == world.send_officer
    assert entry.changes_dict["cluster"] == [str(a.cluster.pk), str(b.cluster.pk)]


def test_a_school_moved_meanwhile_is_not_moved_again_over_it(officer, world):
    a, b = world.a, world.b
    other = Cluster.objects.create(district=b.cluster.district, name="Cluster C", code="C-C")
    assert move(officer, a.school, b.cluster, expected=a.cluster).status_code == 302

    # A second tab, opened while the school was still in cluster A.
    response = move(officer, a.school, other, expected=a.cluster)

    assert response.status_code == 409
    assert "was moved meanwhile and is now in Cluster B" in response.content.decode()
    assert School.objects.get(pk=a.school.pk).cluster == b.cluster


def test_a_school_cannot_be_moved_to_the_cluster_it_is_in(officer, world):
    response = move(officer, world.a.school, world.a.cluster, expected=world.a.cluster)
    # The form offers only other clusters.
    assert response.status_code == 400
    assert "Choose the cluster to move the school to" in response.content.decode()


def test_renaming_a_cluster_keeps_its_code_and_schools_and_refuses_a_stale_name(officer, world):
    cluster = world.a.cluster
    url = reverse("clusters:edit", args=[cluster.pk])

    response = officer.post(url, {"name": "Banbury North", "expected_name": cluster.name})

    assert response.status_code == 302
    renamed = Cluster.objects.get(pk=cluster.pk)
    assert (renamed.name, renamed.code) == ("Banbury North", cluster.code)
    assert renamed.schools.filter(pk=world.a.school.pk).exists()
    entry = LogEntry.objects.get_for_object(renamed).get(action=LogEntry.Action.UPDATE)
    assert entry.changes_dict["name"] == [cluster.name, "Banbury North"]

    stale = officer.post(url, {"name": "Banbury East", "expected_name": cluster.name})
    assert stale.status_code == 409
    assert "renamed meanwhile to Banbury North" in stale.content.decode()
    assert Cluster.objects.get(pk=cluster.pk).name == "Banbury North"


def test_a_new_cluster_in_a_district_gets_a_code_and_a_taken_name_is_refused(officer, world):
    district = world.a.cluster.district

    response = officer.post(reverse("clusters:new"), {"district": district.pk, "name": "Bicester"})

    cluster = Cluster.objects.get(name="Bicester")
    assert response.status_code == 302 and cluster.district == district and cluster.code
    again = officer.post(
        reverse("clusters:new"), {"district": district.pk, "name": "bicester", "code": "X1"}
    )
    assert again.status_code == 400
    assert f"{district.name} already has a cluster called bicester" in again.content.decode()
    elsewhere = DistrictFactory(name="Oxford")
    assert (
        officer.post(
            reverse("clusters:new"), {"district": elsewhere.pk, "name": "Bicester"}
        ).status_code
        == 302
    )
    taken = officer.post(
        reverse("clusters:new"),
        {"district": district.pk, "name": "Kidlington", "code": cluster.code},
    )
    assert taken.status_code == 400 and "Another cluster has the code" in taken.content.decode()


def test_only_the_la_send_officer_changes_the_cluster_map(client, world):
    urls = [
        reverse("clusters:edit", args=[world.a.cluster.pk]),
        reverse("clusters:new"),
        reverse("clusters:move_school", args=[world.a.school.urn]),
    ]
    for who in (world.finance_officer, world.a.head, world.a.ep):
        client.force_login(who)
        for url in urls:
            assert client.get(url).status_code == 404
            assert client.post(url, {"name": "X"}).status_code == 404
    assert Cluster.objects.get(pk=world.a.cluster.pk).name == "Cluster A"


def test_the_cluster_page_links_the_officer_to_its_editing(officer, world, client):
    page = officer.get(reverse("clusters:cluster", args=[world.a.cluster.pk])).content.decode()
    assert reverse("clusters:edit", args=[world.a.cluster.pk]) in page


def test_the_editing_page_answers_in_a_constant_number_of_queries(
    officer, world, django_assert_max_num_queries
):
    from tests.factories import SchoolFactory

    SchoolFactory.create_batch(30, cluster=world.a.cluster)
    with django_assert_max_num_queries(7):
        assert officer.get(reverse("clusters:edit", args=[world.a.cluster.pk])).status_code == 200
