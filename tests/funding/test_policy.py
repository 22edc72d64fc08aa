"""Who may do what with funding requests (funding/policy.py), told as the users' stories."""

import pytest

from funding import policy
from funding.services import EditError
from tests.factories import FundingRequestFactory


@pytest.mark.django_db
class TestEditing:
    def test_a_senco_changes_their_schools_draft_another_schools_senco_may_not(
        self, school_a, senco_a, senco_b
    ):
        fr = FundingRequestFactory.build(school=school_a, state="draft")
        assert policy.can_edit(senco_a, fr)
        assert not policy.can_edit(senco_b, fr)

    def test_the_la_never_changes_a_schools_request(self, school_a, send_officer):
        fr = FundingRequestFactory.build(school=school_a, state="draft")
        assert not policy.can_edit(send_officer, fr)

    def test_once_submitted_a_request_can_no_longer_be_changed(self, school_a, senco_a):
        fr = FundingRequestFactory.build(school=school_a, state="submitted")
        assert not policy.can_edit(senco_a, fr)

    def test_a_returned_request_is_answered_and_resubmitted_by_its_school(
        self, school_a, senco_a, head_a, senco_b
    ):
        fr = FundingRequestFactory.build(school=school_a, state="returned")
        assert policy.can_edit(senco_a, fr) and policy.can_answer_return(senco_a, fr)
        assert policy.can_answer_return(head_a, fr)
        assert not policy.can_answer_return(senco_b, fr)
        fr.state = "draft"
        assert not policy.can_answer_return(senco_a, fr)

    def test_the_school_is_told_when_its_one_reconsideration_is_used(
        self, school_a, senco_a, send_officer
    ):
        fr = FundingRequestFactory.build(
            school=school_a, state="declined", reconsideration_used=True
        )
        assert policy.can_be_told_reconsideration_used(senco_a, fr)
        assert not policy.can_be_told_reconsideration_used(send_officer, fr)
        fr.reconsideration_used = False
        assert not policy.can_be_told_reconsideration_used(senco_a, fr)


@pytest.mark.django_db
class TestRoles:
    def test_school_staff_start_requests_la_officers_do_not(
        self, senco_a, head_a, send_officer, finance_officer
    ):
        assert policy.can_start_request(senco_a) and policy.can_start_request(head_a)
        assert not policy.can_start_request(send_officer)
        assert not policy.can_start_request(finance_officer)

    def test_la_officers_see_every_schools_requests_a_senco_only_their_own(
        self, senco_a, send_officer, finance_officer
    ):
        assert policy.can_see_all_requests(send_officer)
        assert policy.can_see_all_requests(finance_officer)
        assert not policy.can_see_all_requests(senco_a)

    def test_a_send_officer_triages_and_manages_streams_a_finance_officer_may_not(
        self, send_officer, finance_officer
    ):
        assert policy.can_triage(send_officer) and policy.can_manage_streams(send_officer)
        assert not policy.can_triage(finance_officer)
        assert not policy.can_manage_streams(finance_officer)
        with pytest.raises(EditError, match="Only LA SEND officers manage funding streams."):
            policy.require_manage_streams(finance_officer)
