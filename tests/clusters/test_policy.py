"""Who sees what in the directory (clusters/policy.py), told as the users' stories."""

import pytest

from clusters import policy
from portal.policy import can_be_told_to_ask_for_a_role
from tests.factories import SchoolFactory, UserFactory


@pytest.mark.django_db
def test_la_officers_see_every_cluster_and_every_schools_people(
    send_officer, finance_officer, senco_a, school_a
):
    other = SchoolFactory()
    for officer in (send_officer, finance_officer):
        assert policy.can_see_every_cluster(officer) and policy.can_see_people(officer, other)
    assert not policy.can_see_every_cluster(senco_a)
    assert policy.can_see_people(senco_a, school_a)
    assert not policy.can_see_people(senco_a, other)


@pytest.mark.django_db
def test_someone_with_no_role_is_told_to_ask_the_la_for_one(senco_a):
    assert can_be_told_to_ask_for_a_role(UserFactory(username="newcomer"))
    assert not can_be_told_to_ask_for_a_role(senco_a)
