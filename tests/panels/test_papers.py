"""Panel papers: members not recused read an item's full papers and download its
documents (audited, through the school's own download view); a recused member sees the
item's title and nothing else; the agenda pack is one PDF once the closing date has
passed, at a constant number of queries whatever the agenda's length."""

import subprocess
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from funding.models import ProvisionLine, RequestEvent
from panels import services
from panels.models import Meeting, MemberRole
from portal.models import ViewAudit
from tests.funding.factories import stored_document

from .factories import build_panel, head_of_new_school, meeting_on, ready_request


def signed_in(client, user):
    client.force_login(user)
    return client


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def papers_meeting(panel, today, send_officer):
    """A meeting in a week's time whose closing date is still to come."""
    return meeting_on(panel, today + timedelta(days=7), closing=today + timedelta(days=2))


def close_requests(meeting, today):
    """The closing date passes: the agenda is settled."""
    Meeting.objects.filter(pk=meeting.pk).update(closing_date=today - timedelta(days=1))
    meeting.refresh_from_db()


@pytest.fixture
def item_with_papers(papers_meeting, request_d, send_officer, heads):
    """head_d's school's request on the agenda, with a document, the LA's note for the panel,
    and a return the school answered."""
    head_d = heads[1]
    RequestEvent.objects.create(
        request=request_d, actor=send_officer, kind="return", message="Send the EP report."
    )
    RequestEvent.objects.create(
        request=request_d, actor=head_d, kind="resubmit", message="EP report attached."
    )
    RequestEvent.objects.create(
        request=request_d, actor=send_officer, kind="triage", message="Strong case; EP agrees."
    )
    document = stored_document(request_d, head_d, name="ep-report.pdf")
    item = services.schedule_request(request_d, by=send_officer, meeting=papers_meeting)
    return item, document


@pytest.mark.django_db
def test_a_panel_member_reads_an_items_papers_and_downloads_its_document(
    client, panel, heads, item_with_papers, finance_officer
):
    chair, head_d, head_e, head_a = heads
    item, document = item_with_papers
    download = reverse("funding:download", args=[item.request_id, document.pk])

    # head_e sits on the panel for another school: the whole papers, and the document.
    page = signed_in(client, head_e).get(reverse("panels:item", args=[item.pk]))
    assert page.status_code == 200
    for text in ("AB, Year 4", "Talk Boost", "ep-report.pdf", "Strong case; EP agrees.",
                 "Send the EP report.", "EP report attached."):  # fmt: skip
        assert text in page.text, text
    assert download in page.text
    got = client.get(download)
    assert got.status_code == 200 and got.getvalue().startswith(b"%PDF")
    assert ViewAudit.objects.filter(
        user=head_e, action="download", object_id=str(document.pk)
    ).exists()

    # An advisory member (the educational psychologist, not voting) reads them too.
    adviser = panel.members.get(role=MemberRole.EDUCATIONAL_PSYCHOLOGIST).user
    assert (
        "ep-report.pdf"
        in signed_in(client, adviser).get(reverse("panels:item", args=[item.pk])).text
    )
    assert client.get(download).status_code == 200

    # A finance officer sees what the request costs, never the pupil nor the documents.
    finance = signed_in(client, finance_officer).get(reverse("panels:item", args=[item.pk]))
    assert "£7,500.00" in finance.text and "AB, Year 4" not in finance.text
    assert "ep-report.pdf" not in finance.text
    assert client.get(download).status_code == 404


@pytest.mark.django_db
def test_a_recused_member_sees_only_the_items_title_and_gets_404_for_its_document(
    client, heads, item_with_papers, request_a, send_officer, papers_meeting
):
    chair, head_d, head_e, head_a = heads
    item, document = item_with_papers
    download = reverse("funding:download", args=[item.request_id, document.pk])
    services.declare_conflict(item, by=head_e, reason="My sister teaches the pupil.")

    page = signed_in(client, head_e).get(reverse("panels:item", args=[item.pk]))
    assert page.status_code == 200
    assert item.request.reference in page.text  # the item exists…
    assert "its papers are not shown to you" in page.text
    for text in ("AB, Year 4", "Talk Boost", "ep-report.pdf", "Strong case", "EP report"):
        assert text not in page.text, text  # …and nothing else
    assert client.get(download).status_code == 404
    assert not ViewAudit.objects.filter(user=head_e, action="download").exists()
    assert not ViewAudit.objects.filter(user=head_e, action="view_papers").exists()

    # head_a is recused automatically from their own school's item, on the agenda too.
    item_a = services.schedule_request(request_a, by=send_officer, meeting=papers_meeting)
    agenda = signed_in(client, head_a).get(reverse("panels:meeting", args=[papers_meeting.pk]))
    assert agenda.text.count("Year 4") == 1  # head_d's item only
    assert "You are recused from this item: its title only" in agenda.text
    assert "its papers are not shown" in client.get(reverse("panels:item", args=[item_a.pk])).text

    # The API says the same: the item is there, its papers are not.
    api = APIClient()
    api.force_authenticate(head_e)
    assert api.get(reverse("agenda-item-detail", args=[item.pk])).status_code == 200
    assert api.get(reverse("agenda-item-papers", args=[item.pk])).status_code == 404
    api.force_authenticate(chair)
    papers = api.get(reverse("agenda-item-papers", args=[item.pk])).json()
    assert papers["documents"][0]["name"] == "ep-report.pdf"
    assert papers["documents"][0]["download"] == download
    assert [e["kind"] for e in papers["returns"]] == ["return", "resubmit"]
    assert papers["triage_notes"][0]["message"] == "Strong case; EP agrees."


@pytest.mark.django_db
def test_the_agenda_pack_is_refused_before_the_closing_date_and_served_after(
    client, heads, item_with_papers, request_a, send_officer, papers_meeting, today
):
    chair, head_d, head_e, head_a = heads
    item_d, _ = item_with_papers
    item_a = services.schedule_request(request_a, by=send_officer, meeting=papers_meeting)
    pack_url = reverse("panels:pack", args=[papers_meeting.pk])
    api_url = reverse("meeting-pack", args=[papers_meeting.pk])
    api = APIClient()
    api.force_authenticate(head_e)

    # Before the closing date the agenda may still change: no pack.
    refused = signed_in(client, head_e).get(pack_url, follow=True)
    assert "once the closing date" in refused.text
    assert (
        "pack can be downloaded once the closing date"
        in client.get(reverse("panels:meeting", args=[papers_meeting.pk])).text
    )
    answer = api.get(api_url)
    assert answer.status_code == 400 and "closing date" in answer.json()["detail"]

    close_requests(papers_meeting, today)
    got = client.get(pack_url)
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    text = pdf_text(got.content)
    assert "Contents" in text and papers_meeting.panel.name in text
    for fr in (item_a.request, item_d.request):
        assert fr.reference in text
    assert "AB, Year 4" in text and "ep-report.pdf" in text and "Strong case; EP agrees." in text
    for field in ("UPN", "Unique pupil number", "Pupil name", "Date of birth"):
        assert field not in text, field
    assert ViewAudit.objects.filter(
        user=head_e, action="download_pack", object_id=str(item_a.request_id)
    ).exists()

    # head_a's pack shows their own school's item by its title only.
    mine = pdf_text(signed_in(client, head_a).get(pack_url).content)
    assert item_a.request.reference in mine and "recused: title only" in mine
    assert mine.count("AB, Year 4") == 1  # head_d's item's papers only
    assert not ViewAudit.objects.filter(
        user=head_a, action="download_pack", object_id=str(item_a.request_id)
    ).exists()

    # The API serves the same file.
    served = api.get(api_url)
    assert served.status_code == 200 and served.content.startswith(b"%PDF")


def agenda_of(cluster, officer, today, *, items: int, tag: str):
    people = [head_of_new_school(cluster, f"{tag}_head{i}") for i in range(4)]
    panel = build_panel(cluster, officer, people, extra_members=1)
    meeting = meeting_on(panel, today + timedelta(days=7), closing=today + timedelta(days=2))
    schools = [p.memberships.get().school for p in people]
    for i in range(items):
        fr = ready_request(schools[i % 4])
        stored_document(fr, officer, name=f"plan-{i}.pdf")
        RequestEvent.objects.create(request=fr, actor=officer, kind="triage", message="Ready.")
        services.schedule_request(fr, by=officer, meeting=meeting)
    close_requests(meeting, today)
    return meeting, people[1]


def queries(client, url) -> int:
    client.get(url)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_meeting_page_and_the_pack_cost_the_same_queries_for_2_and_25_items(
    client, send_officer, today, django_assert_max_num_queries
):
    from tests.factories import ClusterFactory

    small, small_member = agenda_of(ClusterFactory(), send_officer, today, items=2, tag="s")
    large, large_member = agenda_of(ClusterFactory(), send_officer, today, items=25, tag="l")
    for name in ("panels:meeting", "panels:pack"):
        signed_in(client, small_member)
        n_small = queries(client, reverse(name, args=[small.pk]))
        signed_in(client, large_member)
        client.get(reverse(name, args=[large.pk]))
        with django_assert_max_num_queries(n_small):
            started = time.perf_counter()
            got = client.get(reverse(name, args=[large.pk]))
            took = time.perf_counter() - started
        assert got.status_code == 200
        print(f"{name}: {n_small} queries at 2 items and at 25; 25 items in {took:.2f} s")
    text = pdf_text(got.content)
    assert all(item.request.reference in text for item in large.items.select_related("request"))


@pytest.mark.django_db
def test_the_panel_reads_a_rate_off_the_card_with_the_schools_reason(
    client, heads, item_with_papers, send_officer, papers_meeting, today
):
    chair, head_d, head_e, head_a = heads
    item, _ = item_with_papers
    ProvisionLine.objects.create(
        request=item.request, order=2, description="Specialist teacher", hours_per_week=2,
        weeks=20, hourly_rate=Decimal("48.00"), card_rate=Decimal("42.00"),
        rate_reason="Qualified teacher of the deaf",
    )  # fmt: skip
    ProvisionLine.objects.create(
        request=item.request, order=3, kind="equipment", description="Radio aid",
        amount=Decimal("950.00"), note="Quote from the audiology service",
    )  # fmt: skip
    page = signed_in(client, head_e).get(reverse("panels:item", args=[item.pk])).text
    assert "Not the rate card's £42.00 an hour:</strong> Qualified teacher of the deaf" in page
    assert "Radio aid: Equipment or resources" in page and "£950.00" in page
    api = APIClient()
    api.force_authenticate(chair)
    lines = api.get(reverse("agenda-item-papers", args=[item.pk])).json()["provision_lines"]
    specialist = next(line for line in lines if line["description"] == "Specialist teacher")
    assert specialist["card_rate"] == "42.00"
    assert specialist["rate_reason"] == "Qualified teacher of the deaf"

    # And the agenda pack, once the closing date has passed.
    close_requests(papers_meeting, today)
    pack = signed_in(client, head_e).get(reverse("panels:pack", args=[papers_meeting.pk]))
    assert pack.status_code == 200
    words = " ".join(
        pdf_text(b"".join(pack.streaming_content) if pack.streaming else pack.content).split()
    )
    assert "Qualified teacher of the deaf" in words and "Not the rate card's £42.00" in words
