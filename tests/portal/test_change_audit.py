"""Set-up changes leave a trail of who changed what: a membership granted in the admin,
a funding stream's maximum changed."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from clusters.models import Membership, Role
from tests.factories import FundingStreamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_granting_a_role_in_the_admin_is_recorded_with_who_did_it(client, school_a):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    newcomer = UserFactory(username="new_senco")
    client.force_login(admin)

    response = client.post(
        reverse("admin:clusters_membership_add"),
        {"user": newcomer.pk, "role": Role.SENCO, "school": school_a.pk},
    )

    assert response.status_code == 302, response.content[:2000]
    membership = Membership.objects.get(user=newcomer)
    entry = LogEntry.objects.get_for_object(membership).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == admin


def test_changing_a_streams_maximum_award_is_recorded_with_before_and_after(send_officer):
    stream = FundingStreamFactory(max_award=Decimal("15000.00"))
    stream.max_award = Decimal("12000.00")
    stream.save()

    change = LogEntry.objects.get_for_object(stream).filter(action=LogEntry.Action.UPDATE).get()
    assert change.changes_dict["max_award"] == ["15000.00", "12000.00"]


def test_a_password_change_is_not_written_into_the_trail():
    user = UserFactory(username="someone")
    user.set_password("another-long-password-123")
    user.save()

    for entry in LogEntry.objects.get_for_object(user):
        assert "password" not in entry.changes_dict
