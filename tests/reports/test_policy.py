"""Who may ask for reports (reports/policy.py), told as the users' stories."""

import pytest

from reports import policy
from reports.models import ScopeKind


@pytest.mark.django_db
def test_la_officers_ask_for_any_report_a_headteacher_for_their_own_cluster(
    send_officer, head_a, school_a, senco_a
):
    assert policy.can_use_reports(send_officer)
    assert policy.can_request(send_officer, ScopeKind.DISTRICT, 1)
    assert policy.can_use_reports(head_a)
    assert policy.can_request(head_a, ScopeKind.CLUSTER, school_a.cluster_id)
    assert not policy.can_request(head_a, ScopeKind.CLUSTER, school_a.cluster_id + 1)
    assert not policy.can_request(head_a, ScopeKind.DISTRICT, school_a.cluster.district_id)
    assert not policy.can_use_reports(senco_a)
