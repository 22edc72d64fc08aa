"""An administrator sets the county up in the Django admin."""

import pytest
from django.urls import reverse

from clusters.models import Membership, Role
from portal.models import Notification, ViewAudit
from tests.factories import SchoolYearStatsFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(client, password, senco_a):
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    ViewAudit.objects.create(user=senco_a, action="view", object_type="funding.FundingRequest")
    Notification.objects.create(user=senco_a, subject="Request returned")
    assert client.login(username="admin", password=password)
    return client


MODELS = [
    "clusters_district",
    "clusters_cluster",
    "clusters_school",
    "clusters_schoolyearstats",
    "clusters_membership",
    "portal_viewaudit",
    "portal_notification",
    "auth_user",
]


@pytest.mark.parametrize("model", MODELS)
def test_every_model_has_a_searchable_list(admin_browser, model, school_a):
    SchoolYearStatsFactory(school=school_a)
    url = reverse(f"admin:{model}_changelist")

    assert admin_browser.get(url).status_code == 200
    assert admin_browser.get(url, {"q": "Ashfield"}).status_code == 200


def test_schools_in_no_cluster_can_be_listed(admin_browser, school_a):
    from tests.factories import SchoolFactory

    SchoolFactory(name="Lonely Lane Primary", cluster=None)

    response = admin_browser.get(reverse("admin:clusters_school_changelist"), {"mapped": "no"})

    html = response.content.decode()
    assert "Lonely Lane Primary" in html and "Ashfield Primary" not in html


def test_a_school_and_a_user_with_their_roles_open_for_editing(admin_browser, school_a, senco_a):
    assert (
        admin_browser.get(reverse("admin:clusters_school_change", args=[school_a.pk])).status_code
        == 200
    )
    response = admin_browser.get(reverse("admin:auth_user_change", args=[senco_a.pk]))
    assert response.status_code == 200
    assert "memberships" in response.content.decode()


def test_a_role_is_given_in_the_memberships_admin(admin_browser, school_a):
    user = UserFactory(username="new_head")
    url = reverse("admin:clusters_membership_add")

    response = admin_browser.post(
        url, {"user": user.pk, "role": Role.HEADTEACHER, "school": school_a.pk}
    )

    assert response.status_code == 302
    assert Membership.objects.filter(user=user, role=Role.HEADTEACHER, school=school_a).exists()


def test_the_view_audit_cannot_be_changed(admin_browser):
    audit = ViewAudit.objects.get()

    assert admin_browser.get(reverse("admin:portal_viewaudit_add")).status_code == 403
    assert (
        admin_browser.post(
            reverse("admin:portal_viewaudit_delete", args=[audit.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert ViewAudit.objects.count() == 1
