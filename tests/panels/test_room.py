"""The budget in the room: the chair and the members see, beside the agenda, what the
cluster has to spend in each fund, what the agenda asks and what remains after each
decision; each item shows the school's record for peer challenge."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from budgets.models import EntryKind, FinancialYear, LedgerEntry
from budgets.services import budget_for
from panels import services
from reports.models import ReportKind, ReportRun, RunStatus, ScopeKind
from tests.factories import FundingStreamFactory

from .factories import member, ready_request


def open_with_everyone(meeting, panel, heads):
    services.open_meeting(meeting, by=heads[0])
    services.record_attendance(meeting, by=heads[0], present=[member(panel, h) for h in heads])


def room_text(client, meeting, item=None):
    url = reverse("panels:room", args=[meeting.pk]) + (f"?item={item.pk}" if item else "")
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    return response.text


@pytest.mark.django_db
def test_the_chair_sees_what_the_cluster_has_what_the_agenda_asks_and_what_remains(
    client, panel, meeting, heads, send_officer, request_d
):
    cluster = request_d.cluster
    # The pot is £100,000 (the test fund); a second request of £9,000 from head_d's school.
    other = ready_request(request_d.school, amount="9000.00")
    first = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    services.schedule_request(other, by=send_officer, meeting=meeting)
    open_with_everyone(meeting, panel, heads)
    client.force_login(heads[0])

    page = client.get(reverse("panels:meeting", args=[meeting.pk])).text
    assert "The budget in the room" in page
    room = room_text(client, meeting)
    assert "£100,000.00" in room  # available now
    assert "£16,500.00" in room  # asked on this agenda: £7,500 + £9,000
    assert "£83,500.00" in room  # remains if all are granted
    assert "room-warning" not in room

    services.record_decision(
        first, by=heads[0], outcome="approved", amount=Decimal("7500.00"),
        rationale="Clear evidence.", review_date=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip
    room = room_text(client, meeting)
    assert "£92,500.00" in room  # available now: the award is committed on the ledger
    assert "£7,500.00" in room  # awarded at this meeting
    assert "£83,500.00" in room  # still what remains if the last item is granted too
    # On the item page the undecided item says what granting it in full would leave.
    item_room = room_text(client, meeting, item=services_item(meeting, other))
    assert "Granted in full, £83,500.00 would remain." in item_room
    assert cluster.name  # the cluster's budget, not another's


def services_item(meeting, fr):
    return meeting.items.get(request=fr)


@pytest.mark.django_db
def test_a_clear_warning_when_the_agenda_asks_for_more_than_remains(
    client, panel, meeting, heads, send_officer, request_d, finance_officer
):
    budget = budget_for(request_d.cluster_id, request_d.stream_id)
    # The cluster has spent most of its pot: £5,000 is left, the item asks £7,500.
    LedgerEntry.objects.create(
        budget=budget, kind=EntryKind.ADJUSTMENT, amount=Decimal("-95000.00"), reason="Cut"
    )
    item = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    open_with_everyone(meeting, panel, heads)
    client.force_login(heads[0])
    room = room_text(client, meeting)
    assert 'data-testid="room-warning"' in room
    assert "The agenda asks for more than remains" in room
    assert "£2,500.00 short" in room
    page = client.get(reverse("panels:item", args=[item.pk])).text
    assert "below nothing" in page
    # The finance officer sees the same totals (no pupil detail in them).
    client.force_login(finance_officer)
    assert "£2,500.00 short" in room_text(client, meeting)


@pytest.mark.django_db
def test_the_room_answers_only_those_who_see_the_meeting(client, meeting, request_d, send_officer):
    from clusters.models import Role
    from tests.factories import ClusterFactory, SchoolFactory, make_user

    services.schedule_request(request_d, by=send_officer, meeting=meeting)
    outsider = make_user(
        Role.HEADTEACHER, school=SchoolFactory(cluster=ClusterFactory()), username="far_head"
    )
    client.force_login(outsider)
    assert client.get(reverse("panels:room", args=[meeting.pk])).status_code == 404


def report_run(kind, *, cluster, rows, finished):
    return ReportRun.objects.create(
        kind=kind,
        scope_kind=ScopeKind.CLUSTER,
        cluster=cluster,
        academic_year=2025,
        status=RunStatus.SUCCEEDED,
        finished_at=finished,
        result={"sections": [{"key": "schools", "rows": rows}]},
        html_file="r.html",
        csv_file="r.csv",
        xlsx_file="r.xlsx",
        pdf_file="r.pdf",
    )


@pytest.mark.django_db
def test_each_item_shows_the_schools_awards_and_its_latest_report_figures(
    client, panel, meeting, heads, send_officer, request_d, request_a
):
    school, other_school = request_d.school, request_a.school
    today = timezone.localdate()
    start = FinancialYear.start_year_for(today)
    stream = FundingStreamFactory()
    # Awards to head_d's school: £4,000 this financial year, £3,000 the year before.
    for year_start, amount in ((start, "4000.00"), (start - 1, "3000.00")):
        LedgerEntry.objects.create(
            budget=budget_for(school.cluster_id, stream.pk, date(year_start, 6, 1)),
            kind=EntryKind.COMMITMENT,
            amount=Decimal(amount),
            reason="Earlier award",
            school=school,
            request=ready_request(school, state="active"),
        )
    now = timezone.now()
    # An older fair-share run says 0.5; the latest says 1.25 (the page shows the latest).
    report_run(ReportKind.FAIR_SHARE, cluster=school.cluster, finished=now - timedelta(days=30),
               rows=[{"urn": school.urn, "fair_share_ratio": 0.5}])  # fmt: skip
    report_run(ReportKind.FAIR_SHARE, cluster=school.cluster, finished=now,
               rows=[{"urn": school.urn, "fair_share_ratio": 1.25}])  # fmt: skip
    # The inclusiveness run flags head_d's school and has no row for school A.
    report_run(ReportKind.INCLUSIVENESS, cluster=school.cluster, finished=now,
               rows=[{"urn": school.urn, "magnet": True, "high_send": False,
                      "below_fair_share": True}])  # fmt: skip
    item_d = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    item_a = services.schedule_request(request_a, by=send_officer, meeting=meeting)

    client.force_login(heads[0])
    page = client.get(reverse("panels:item", args=[item_d.pk])).text
    assert "The school&#x27;s context" in page or "The school's context" in page
    assert "£4,000.00 on 1 request" in page
    assert "£3,000.00 on 1 request" in page
    assert "1.25" in page and "0.50" not in page
    assert "Magnet" in page and "Below fair share" in page and "High-SEND" not in page

    page = client.get(reverse("panels:item", args=[item_a.pk])).text
    assert "£0.00 on 0 requests" in page
    assert "has no figures for this school" in page  # the latest inclusiveness run
    assert other_school.name in page

    agenda = client.get(reverse("panels:meeting", args=[meeting.pk])).text
    assert "Awarded £4,000.00 in" in agenda and "fair share 1.25" in agenda
    # The member from school A is recused from its item: its context is not shown to them.
    client.force_login(heads[3])
    page = client.get(reverse("panels:item", args=[item_a.pk])).text
    assert 'data-testid="school-context"' not in page


@pytest.mark.django_db
def test_with_no_report_yet_the_item_says_so_plainly(
    client, panel, meeting, heads, send_officer, request_d
):
    item = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    client.force_login(heads[0])
    page = client.get(reverse("panels:item", args=[item.pk])).text
    assert "No fair-share report has been produced for this school yet." in page
    assert "No inclusiveness report has been produced for this school yet." in page


@pytest.mark.django_db
def test_every_tick_moves_the_quorum_and_each_items_own_quorum_with_it(
    client, panel, meeting, heads, request_d, send_officer
):
    item = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    chair = heads[0]
    services.open_meeting(meeting, by=chair)
    client.force_login(chair)
    url = reverse("panels:attendance", args=[meeting.pk])
    ids = [member(panel, h).pk for h in heads]
    for n in range(1, len(ids) + 1):
        answer = client.post(url, {"present": ids[:n]}, headers={"HX-Request": "true"}).text
        # The answer is read after the write: it counts exactly the members just ticked.
        assert f"{n} voting member{'' if n == 1 else 's'} present" in answer, n
        # The agenda's rows come with it (out of band), so an item's own quorum moves too.
        assert 'id="agenda-rows" hx-swap-oob="true"' in answer
        assert f'id="item-{item.pk}"' in answer
    assert "Inquorate for this item" not in answer


@pytest.mark.django_db
def test_the_chair_records_a_decision_in_place_and_the_budget_follows(
    client, panel, meeting, heads, send_officer, request_d
):
    item = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    open_with_everyone(meeting, panel, heads)
    client.force_login(heads[0])
    review = timezone.localdate() + timedelta(days=90)
    answer = client.post(
        reverse("panels:decide", args=[item.pk]),
        {
            "outcome": "approved",
            "amount": "7500.00",
            "rationale": "Clear evidence.",
            "review_date_0": review.day,
            "review_date_1": review.month,
            "review_date_2": review.year,
        },
        headers={"HX-Request": "true"},
    )
    # With htmx the chair stays on the item page: the decision and the budget come back.
    assert answer.status_code == 200
    assert 'data-testid="decided"' in answer.text
    assert "£92,500.00" in answer.text


@pytest.mark.django_db
def test_the_api_gives_the_budget_in_the_room_and_each_items_school_context(
    client, panel, meeting, heads, send_officer, request_d, request_a
):
    item_d = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    item_a = services.schedule_request(request_a, by=send_officer, meeting=meeting)
    client.force_login(heads[0])
    agenda = client.get(f"/api/v1/meetings/{meeting.pk}/agenda/").json()
    (budget,) = agenda["budget_in_the_room"]
    assert budget["available"] == "100000.00" and budget["asked"] == "15000.00"
    assert budget["remains"] == "85000.00" and budget["over"] is False
    by_id = {i["id"]: i for i in agenda["items"]}
    context = by_id[item_d.pk]["school_context"]
    assert context["awarded_this_year"] == "0.00"
    assert context["fair_share_report"] == {"report": None, "found": False}
    # head_a is recused from school A's item: no context for them there.
    client.force_login(heads[3])
    assert client.get(f"/api/v1/agenda-items/{item_a.pk}/").json()["school_context"] is None
    assert client.get(f"/api/v1/agenda-items/{item_d.pk}/").json()["school_context"]["school"]


def decision_post(review, **extra):
    return {
        "outcome": "approved",
        "amount": "7500.00",
        "rationale": "Clear evidence.",
        "review_date_0": review.day,
        "review_date_1": review.month,
        "review_date_2": review.year,
        **extra,
    }


@pytest.mark.django_db
def test_the_chair_decides_from_the_agenda_and_the_room_quorum_and_rows_follow_in_place(
    client, panel, meeting, heads, send_officer, request_d
):
    item = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    open_with_everyone(meeting, panel, heads)
    client.force_login(heads[0])
    meeting_url = reverse("panels:meeting", args=[meeting.pk])
    agenda = client.get(meeting_url).text
    # Each item the chair may decide now has its own link to the form, on this page.
    assert f'data-testid="decide-{item.pk}"' in agenda and "decide-heading" not in agenda
    form = client.get(f"{meeting_url}?decide={item.pk}", headers={"HX-Request": "true"}).text
    assert 'data-testid="decide-heading"' in form and 'name="from" value="meeting"' in form

    review = timezone.localdate() + timedelta(days=90)
    url = reverse("panels:decide", args=[item.pk])
    # A first try with nothing filled in: the errors come back in the slot, nothing decided.
    wrong = client.post(url, {"from": "meeting"}, headers={"HX-Request": "true"})
    assert wrong.status_code == 200
    assert "There is a problem" in wrong.text and "<title>Error:" in wrong.text
    assert 'data-testid="decide-heading"' in wrong.text
    item.refresh_from_db()
    assert not hasattr(item, "decision")

    answer = client.post(url, decision_post(review, **{"from": "meeting"}),
                         headers={"HX-Request": "true"})  # fmt: skip
    # The meeting page read after the write: htmx takes the slot, the room, the quorum
    # and the agenda's rows from it (hx-select / hx-select-oob), so nothing reloads.
    assert answer.status_code == 200
    text = answer.text
    assert 'data-testid="decided"' in text and "Recorded for item 1" in text
    assert "£92,500.00" in text  # available now, the award committed
    assert 'id="quorum"' in text and 'id="agenda-rows"' in text
    assert f'data-testid="decide-{item.pk}"' not in text  # decided: no link any more
    assert "decide-heading" not in text


@pytest.mark.django_db
def test_without_javascript_deciding_from_the_agenda_is_a_post_and_a_redirect(
    client, panel, meeting, heads, send_officer, request_d
):
    item = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    open_with_everyone(meeting, panel, heads)
    client.force_login(heads[0])
    meeting_url = reverse("panels:meeting", args=[meeting.pk])
    assert "decide-heading" in client.get(f"{meeting_url}?decide={item.pk}").text
    url = reverse("panels:decide", args=[item.pk])
    wrong = client.post(url, {"from": "meeting", "outcome": "approved"})
    assert wrong.status_code == 200 and "There is a problem" in wrong.text
    review = timezone.localdate() + timedelta(days=90)
    done = client.post(url, decision_post(review, **{"from": "meeting"}))
    assert done.status_code == 302 and done.url == meeting_url
    assert "£92,500.00" in client.get(meeting_url).text


@pytest.mark.django_db
def test_only_the_member_chairing_the_item_gets_its_decision_form(
    client, panel, meeting, heads, send_officer, request_d
):
    item = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    open_with_everyone(meeting, panel, heads)
    client.force_login(heads[1])  # a member, not the chair
    meeting_url = reverse("panels:meeting", args=[meeting.pk])
    page = client.get(f"{meeting_url}?decide={item.pk}").text
    assert "decide-heading" not in page and f'data-testid="decide-{item.pk}"' not in page
    review = timezone.localdate() + timedelta(days=90)
    answer = client.post(
        reverse("panels:decide", args=[item.pk]),
        decision_post(review, **{"from": "meeting"}),
        headers={"HX-Request": "true"},
    )
    assert "Only the member chairing this item records its decision." in answer.text
    item.refresh_from_db()
    assert not hasattr(item, "decision")


@pytest.mark.django_db
def test_on_the_item_page_an_htmx_error_comes_back_with_the_error_summary(
    client, panel, meeting, heads, send_officer, request_d
):
    item = services.schedule_request(request_d, by=send_officer, meeting=meeting)
    open_with_everyone(meeting, panel, heads)
    client.force_login(heads[0])
    page = client.get(reverse("panels:item", args=[item.pk])).text
    assert 'hx-select="#decision-panel"' in page
    answer = client.post(
        reverse("panels:decide", args=[item.pk]), {"outcome": "approved"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert answer.status_code == 200
    assert 'id="decision-errors"' in answer.text and "There is a problem" in answer.text
    assert 'id="decision-panel"' in answer.text and 'id="room"' in answer.text
