"""The retention schedule: six years after a request ends, its documents (deleted from
the object store), its free text and its pupil fields go, each purge audited once;
the reports' figures do not move."""

# ruff: noqa: F811 -- the reports' county fixtures are imported, then asked for by name

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clusters.models import Role
from funding import services
from funding.models import (
    FundingRequest,
    RequestDocument,
    RequestEvent,
    RetentionPurge,
    ReviewCycle,
)
from funding.retention import REMOVED
from panels.models import Decision, OutcomeReview
from portal.storage import STORAGE_ERRORS
from reports import services as report_services
from reports.models import ReportKind, ReportRun, ScopeKind
from tests import objectstore
from tests.factories import make_user
from tests.funding.factories import stored_document
from tests.reports.conftest import small_county  # noqa: F401
from tests.reports.test_impact_report import _result as impact_result
from tests.reports.test_impact_report import impact_county  # noqa: F401

pytestmark = pytest.mark.django_db


def inclusiveness():
    run = ReportRun.objects.create(
        kind=ReportKind.INCLUSIVENESS,
        scope_kind=ScopeKind.COUNTY,
        academic_year=2025,
        parameters=report_services.default_parameters(2025, "1.5"),
    )
    return report_services.compute(run)[0]


def ended(fr, ago: timedelta):
    FundingRequest.objects.filter(pk=fr.pk).update(state_changed_at=timezone.now() - ago)


SEVEN_YEARS, ONE_YEAR = timedelta(days=7 * 365 + 2), timedelta(days=365)


@pytest.fixture
def county(impact_county, object_store):
    """The impact report's county: six pupils' requests closed, each with its outcome
    review and a document in the object store; three closed seven years ago, three a
    year ago. Pupil 7's two decided requests and the declined ones carry no closure date
    (they never ended through the portal), the small county's closed A2 request seven
    years ago."""
    closed = list(FundingRequest.objects.filter(state="closed", pupil_key__gt="").order_by("pk"))
    old, recent = closed[:3], closed[3:]
    for fr in old:
        ended(fr, SEVEN_YEARS)
    for fr in recent:
        ended(fr, ONE_YEAR)
    a2_closed = FundingRequest.objects.get(state="closed", pupil_key="")
    ended(a2_closed, SEVEN_YEARS)
    for fr in closed:
        stored_document(fr, fr.created_by)
        ReviewCycle.objects.create(
            request=fr,
            assess="Speech screen.",
            plan="Talk Boost.",
            duration_weeks=10,
            impact="Some.",
        )
        services.record_note(fr, user=fr.created_by, kind="note", message="Spoke with mum.")
    return {"old": old + [a2_closed], "recent": recent, "bucket": object_store}


def test_seven_years_after_closing_a_request_keeps_its_figures_and_nothing_else(county):
    impact_before, inclusive_before = impact_result(), inclusiveness()
    bucket = county["bucket"]
    old_objects = {d.file.name for d in RequestDocument.objects.filter(request__in=county["old"])}
    assert len(old_objects) == 3 and old_objects <= set(bucket.names())

    # The dry run says what would go and changes nothing.
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    printed = out.getvalue()
    for fr in county["old"]:
        assert f"{fr.reference} (closed, ended" in printed
    assert "would lose: supporting documents (1), free text, pseudonymised pupil fields" in printed
    for fr in county["recent"]:
        assert fr.reference not in printed
    assert "Dry run: 4 request(s) due; nothing was changed." in printed
    assert RetentionPurge.objects.count() == 0 and old_objects <= set(bucket.names())

    run = services.apply_retention()

    # Each class of each old request purged once, with its audit record.
    assert sorted((p.request_id, p.data_class) for p in run.purges) == sorted(
        (fr.pk, c) for fr in county["old"] for c in ("documents", "free_text", "pupil_fields")
    )
    documents = RetentionPurge.objects.get(request=county["old"][0], data_class="documents")
    assert (documents.items, documents.years, documents.detail) == (
        1,
        6,
        "1 document deleted from storage",
    )
    assert documents.ended_at < timezone.now() - timedelta(days=6 * 365)
    # The stored objects are gone from the object store, the rows with them.
    assert not old_objects & set(bucket.names())
    assert not RequestDocument.objects.filter(request__in=county["old"]).exists()

    for old in county["old"][:3]:
        fr = FundingRequest.objects.get(pk=old.pk)
        # Words about the pupil: gone.
        assert (fr.outcomes_sought, fr.parent_voice, fr.pupil_voice) == (REMOVED,) * 3
        assert fr.ordinarily_available_provision == REMOVED and fr.project_summary == ""
        assert set(fr.cycles.values_list("assess", "plan", "impact").get()) == {REMOVED}
        assert set(RequestEvent.objects.filter(request=fr).values_list("message", flat=True)) <= {
            "",
            REMOVED,
        }
        assert Decision.objects.get(request=fr).rationale == REMOVED
        assert OutcomeReview.objects.get(request=fr).evidence == REMOVED
        # The pseudonymised pupil: no initials, no SEN support date.
        assert (fr.pupil_initials, fr.sen_support_since) == ("", None)
        # The figures: kept.
        assert (fr.state, fr.year_group, fr.sex, fr.primary_need) == ("closed", "4", "F", "SLCN")
        assert fr.amount_awarded == old.amount_awarded and fr.pupil_key == old.pupil_key
        assert OutcomeReview.objects.get(request=fr).result in {"met", "not_met"}

    # A request closed a year ago keeps everything.
    for recent in county["recent"]:
        fr = FundingRequest.objects.get(pk=recent.pk)
        assert fr.pupil_initials == "AB" and fr.outcomes_sought.startswith("To communicate")
        assert RequestDocument.objects.filter(request=fr).count() == 1
        assert fr.events.filter(message="Spoke with mum.").exists()
    assert not RetentionPurge.objects.filter(request__in=county["recent"]).exists()

    # The reports read the same.
    assert impact_result() == impact_before
    assert inclusiveness() == inclusive_before

    # A second run changes nothing and audits nothing new.
    purged_at = set(RetentionPurge.objects.values_list("pk", "purged_at"))
    again = services.apply_retention()
    assert (again.due, again.purges) == ([], [])
    assert set(RetentionPurge.objects.values_list("pk", "purged_at")) == purged_at
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "0 purge(s) made on 0 request(s)" in out.getvalue()


def test_a_class_kept_longer_goes_only_when_its_own_years_are_up(county, settings):
    settings.RETENTION_DOCUMENTS_YEARS = 10
    services.apply_retention()
    old = county["old"][0]
    assert set(old.purges.values_list("data_class", flat=True)) == {"free_text", "pupil_fields"}
    assert RequestDocument.objects.filter(request=old).count() == 1
    # Years later (the LA shortens it): only the documents are left to go, audited once.
    settings.RETENTION_DOCUMENTS_YEARS = 7
    run = services.apply_retention()
    assert {(p.request_id, p.data_class) for p in run.purges} == {
        (fr.pk, "documents") for fr in county["old"]
    }
    assert old.purges.count() == 3


def test_a_store_that_is_down_purges_nothing_of_that_request_and_the_next_night_retries(
    county, settings
):
    old, up = county["old"][0], settings.STORAGES["private"]
    down = objectstore.s3_storage_setting(county["bucket"].name, objectstore.dead_endpoint())
    settings.STORAGES = {**settings.STORAGES, "private": down}
    with pytest.raises(STORAGE_ERRORS):
        services.purge_request(old.pk, ["documents", "free_text"], now=timezone.now())
    assert not old.purges.exists()
    assert FundingRequest.objects.get(pk=old.pk).outcomes_sought.startswith("To communicate")
    assert RequestDocument.objects.filter(request=old).count() == 1
    settings.STORAGES = {**settings.STORAGES, "private": up}
    services.apply_retention()
    assert old.purges.count() == 3
    assert not RequestDocument.objects.filter(request=old).exists()


def test_the_nightly_beat_applies_the_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["apply-retention"]
    assert entry["task"] == "funding.tasks.apply_retention"
    from funding.tasks import apply_retention

    assert apply_retention.name == entry["task"]


def test_a_purged_request_still_opens_and_exports_saying_what_was_removed(county):
    services.apply_retention()
    old = county["old"][0]
    officer = Client()
    officer.force_login(make_user(Role.LA_SEND_OFFICER))
    page = officer.get(reverse("funding:detail", args=[old.pk]))
    assert page.status_code == 200 and REMOVED in page.content.decode()
    assert officer.get(f"/api/v1/requests/{old.pk}/").json()["outcomes_sought"] == REMOVED
    exported = officer.get(reverse("funding:export"))
    assert old.reference in b"".join(exported.streaming_content).decode()
