"""One request's whole story across the apps, through the pages people use.

The finance officer shares the county pot between the clusters; a SENCO asks for a
pupil; the LA triages and schedules; the panel moderates, meets and approves in part;
the money is committed, paid and, at review, what is left is released. At every step
the dashboard's figures are the ledger's sums.
"""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from decimal import Decimal
from shutil import which

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from budgets.models import ClusterBudget, EntryKind, FinancialYear, InstalmentStatus, LedgerEntry
from funding.models import FundingRequest
from panels import tasks
from panels.models import AgendaItem, ModerationView, OutcomeReview, PanelMember
from portal.models import Notification
from tests.text import has_word

from .pages import dashboard_row, dated, ledger_figures

pytestmark = pytest.mark.django_db

POT = Decimal("60000.01")  # the odd penny must land somewhere, and only once
AWARD = Decimal("3333.33")


def view(need=4, graduated=3, impact=3, value=3, recommendation="approve", comment=""):
    return {
        "evidence_of_need": need,
        "graduated_approach": graduated,
        "likely_impact": impact,
        "value_for_money": value,
        "recommendation": recommendation,
        "comment": comment,
    }


def allocate_by_formula(finance, county, year_pk):
    form = {
        "stream": county.stream.pk,
        "year": year_pk,
        "pot": str(POT),
        "weight_roll": "0.4",
        "weight_fsm": "0.3",
        "weight_sen_support": "0.3",
        "lump_sum": "1000",
    }
    preview = finance.post(reverse("budgets:allocate"), {**form, "action": "preview"})
    assert preview.status_code == 200
    shown = preview.content.decode()
    assert "North Downs" in shown and "South Vale" in shown
    assert f'data-testid="allocation-total">£{POT:,}<' in shown
    assert not LedgerEntry.objects.exists()  # a preview writes nothing
    done = finance.post(reverse("budgets:allocate"), {**form, "action": "allocate"})
    assert done.status_code == 302


def draft_and_submit(senco, county, dashboard_available, *, request_type="individual"):
    """The SENCO's task list: each section, then check answers and submit."""
    today = timezone.localdate()
    start = today + timedelta(days=7)
    response = senco.post(
        reverse("funding:start"),
        {"school": county.ashfield.pk, "stream": county.stream.pk, "request_type": request_type},
    )
    fr = FundingRequest.objects.latest("pk")
    assert response.url == reverse("funding:tasks", args=[fr.pk])
    senco.post(
        reverse("funding:pupil", args=[fr.pk]),
        {"request_type": request_type, "pupil_initials": "q.x", "year_group": "4", "sex": "M",
         "number_of_pupils": "", "project_summary": "", "continue": "1"},
    )  # fmt: skip
    senco.post(
        reverse("funding:needs", args=[fr.pk]),
        {"primary_need": "SLCN", "secondary_need": "SEMH",
         **dated("sen_support_since", today - timedelta(days=500)), "band": "",
         "ordinarily_available_provision": "Visual timetable, small-group language work.",
         "agencies_involved": "NHS speech and language therapy", "continue": "1"},
    )  # fmt: skip
    senco.post(
        reverse("funding:evidence", args=[fr.pk]),
        {"assess": "Language screen well below age", "plan": "Talk Boost 3x weekly",
         "duration_weeks": "10", "impact": "Some progress; cannot yet join class talk",
         "continue": "1"},
    )  # fmt: skip
    senco.post(
        reverse("funding:provision", args=[fr.pk]),
        {"line-description": "Teaching assistant 1:1", "line-hours_per_week": "15",
         "line-weeks": "30", "line-hourly_rate": "24.50", "add_line": "1"},
    )  # fmt: skip
    senco.post(
        reverse("funding:provision", args=[fr.pk]),
        {"outcomes_sought": "Joins class discussion in full sentences",
         **dated("start_date", start), **dated("end_date", start + timedelta(weeks=30, days=-1)),
         "continue": "1"},
    )  # fmt: skip
    # While drafting, the SENCO sees what the cluster has left and when the panel meets.
    money_box = senco.get(reverse("funding:provision", args=[fr.pk])).content.decode()
    available = re.search(r'data-testid="cluster-available">([^<]*)<', money_box).group(1)
    assert available == f"£{dashboard_available:,}"
    next_panel = re.search(r'data-testid="next-panel">([^<]*)<', money_box).group(1)
    assert next_panel.startswith(f"Meets {county.north_meeting.date:%-d %B %Y}")
    senco.post(
        reverse("funding:consent", args=[fr.pk]),
        {"parental_consent": "on", **dated("consent_date", today),
         "parent_voice": "We want him to have friends", "pupil_voice": "I like the quiet room",
         "continue": "1"},
    )  # fmt: skip
    check = senco.get(reverse("funding:check", args=[fr.pk])).content.decode()
    assert "You cannot submit yet" not in check
    response = senco.post(reverse("funding:check", args=[fr.pk]), {}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("funding:submitted", args=[fr.pk])
    fr.refresh_from_db()
    # 15 h x 30 weeks x £24.50 = £11,025; the school meets the first £6,000 itself.
    assert (fr.state, fr.amount_requested) == ("submitted", Decimal("5025.00"))
    return fr


def triage(officer, fr):
    queue = officer.get(reverse("funding:triage")).content.decode()
    assert fr.reference in queue
    response = officer.post(reverse("funding:action", args=[fr.pk, "triage"]), {"message": ""})
    assert response.status_code == 302
    fr.refresh_from_db()
    assert fr.state == "ready"


def test_a_request_from_allocation_to_review_with_the_money_right_to_the_penny(
    county, login, clock, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    finance, officer = login(county.finance_officer), login(county.send_officer)
    senco = login(county.senco)

    # --- The finance officer allocates the year's budgets by formula.
    year = FinancialYear.for_date(today)
    allocate_by_formula(finance, county, year.pk)
    north = ClusterBudget.objects.get(cluster=county.north, stream=county.stream, year=year)
    south = ClusterBudget.objects.get(cluster=county.south, stream=county.stream, year=year)
    before = dashboard_row(officer, north)
    assert before == ledger_figures(north)
    assert dashboard_row(officer, south) == ledger_figures(south)
    assert before.allocated + dashboard_row(officer, south).allocated == POT
    assert before.allocated > dashboard_row(officer, south).allocated  # more need, more money
    assert (before.committed, before.paid, before.available) == (0, 0, before.allocated)

    # --- The SENCO drafts and submits through the task list; the LA triages it.
    with django_capture_on_commit_callbacks(execute=True):
        fr = draft_and_submit(senco, county, before.available)
    triage(officer, fr)

    # --- The LA schedules it: the next meeting of the north's panel, not the south's.
    assert fr.reference in officer.get(reverse("panels:schedule")).content.decode()
    officer.post(reverse("panels:schedule"), {"request": fr.pk, "meeting": ""})
    item = AgendaItem.objects.get(request=fr)
    assert item.meeting == county.north_meeting
    fr.refresh_from_db()
    assert fr.state == "on_agenda"

    # --- Moderation before the meeting. Ashfield's head is recused without asking.
    chair, head_d, head_e, head_ashfield = county.heads
    login(head_d).post(reverse("panels:moderate", args=[item.pk]), view(comment="Clear APDR."))
    login(head_e).post(
        reverse("panels:moderate", args=[item.pk]),
        view(need=3, value=2, recommendation="partial", comment="Fewer hours would do."),
    )
    own_school = login(head_ashfield)
    papers = own_school.get(reverse("panels:item", args=[item.pk])).content.decode()
    assert "You are recused from this item" in papers
    assert "Clear APDR." not in papers and "Fewer hours would do." not in papers
    own_school.post(reverse("panels:moderate", args=[item.pk]), view(comment="My own pupil"))
    assert ModerationView.objects.filter(item=item).count() == 2

    # --- The chair opens the meeting, records who came (quorate) and approves in part.
    chairing = login(chair)
    assert "You chair" in chairing.get(reverse("dashboard")).content.decode()
    chairing.post(reverse("panels:open", args=[county.north_meeting.pk]))
    present = PanelMember.objects.filter(panel=county.north_panel, user__in=county.heads)
    chairing.post(
        reverse("panels:attendance", args=[county.north_meeting.pk]),
        {"present": [m.pk for m in present]},
    )
    agenda = chairing.get(reverse("panels:meeting", args=[county.north_meeting.pk]))
    assert "Quorate" in agenda.content.decode()
    review_on = today + timedelta(days=90)
    with django_capture_on_commit_callbacks(execute=True):
        decided = chairing.post(
            reverse("panels:decide", args=[item.pk]),
            {"outcome": "partially_approved", "amount": str(AWARD),
             "rationale": "Need is clear; 10 hours a week meets it.",
             "conditions": "A termly note to the cluster.", **dated("review_date", review_on)},
        )  # fmt: skip
    assert decided.status_code == 302, decided.content.decode()
    fr.refresh_from_db()
    assert (fr.state, fr.amount_awarded) == ("partially_approved", AWARD)

    # The budget moves by exactly the award, on the dashboard and on the ledger.
    after = dashboard_row(officer, north)
    assert after.committed - before.committed == AWARD
    assert before.available - after.available == AWARD
    assert after == ledger_figures(north)
    assert dashboard_row(officer, south).committed == 0

    # The SENCO is told, in the portal and by email, with the rationale.
    note = Notification.objects.get(user=county.senco, subject__startswith="Panel decision")
    assert "10 hours a week meets it" in note.body and "£3,333.33" in note.body
    notes_page = senco.get(reverse("notifications")).content.decode()
    assert f"Panel decision on {fr.reference}" in notes_page
    (email,) = [m for m in mail.outbox if county.senco.email in m.to and "decision" in m.subject]
    assert "10 hours a week meets it" in email.body and "A termly note" in email.body
    assert "10 hours a week meets it" in senco.get(note.url).content.decode()

    # --- The chair closes the meeting; the minutes are published, pupil pseudonymised.
    chairing.post(reverse("panels:close", args=[county.north_meeting.pk]), {"confirm": "yes"})
    minutes = senco.get(reverse("panels:minutes", args=[county.north_meeting.pk]))
    main = minutes.content.decode().split("<main", 1)[1]
    assert fr.reference in main and "10 hours a week meets it" in main
    assert "From the requesting school (Ashfield Primary)" in main
    for private in ("QX", "We want him to have friends", "I like the quiet room"):
        assert not has_word(main, private), private
    pdf = senco.get(reverse("panels:minutes_pdf", args=[county.north_meeting.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    if which("pdftotext"):
        words = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
        ).stdout.decode()
        assert fr.reference in words and "meets it" in words
        assert not has_word(words, "QX") and "quiet room" not in words

    # --- Funding starts on its start date; the payment run pays the first instalment.
    clock.move_to(fr.start_date - timedelta(days=1))
    assert tasks.activate_due_funding() == 0  # not before its day
    clock.move_to(fr.start_date)
    assert tasks.activate_due_funding() == 1
    fr.refresh_from_db()
    assert fr.state == "active"
    instalments = list(fr.instalments.order_by("due_date"))
    assert sum(i.amount for i in instalments) == AWARD
    first = instalments[0]
    assert first.due_date == fr.start_date
    due = finance.get(reverse("budgets:payments")).content.decode()
    assert f"1 instalment due by today, £{first.amount:,}" in due
    finance.post(reverse("budgets:payments"))
    first.refresh_from_db()
    assert first.status == InstalmentStatus.PAID
    assert fr.instalments.filter(status=InstalmentStatus.PAID).count() == 1
    paid = dashboard_row(officer, north)
    assert paid.paid == first.amount and paid.committed == after.committed
    assert paid == ledger_figures(north)
    request_page = officer.get(reverse("budgets:request", args=[fr.pk])).content.decode()
    assert f'data-testid="request-paid">£{first.amount:,}<' in request_page

    # --- At the review date the SENCO is asked, reports partly met, and the request closes.
    clock.move_to(review_on)
    assert tasks.mark_reviews_due() == 1
    owed = senco.get(reverse("dashboard")).content.decode()
    assert f"Report the outcomes of {fr.reference}" in owed
    form = senco.get(reverse("panels:review", args=[fr.pk])).content.decode()
    assert "£3,333.33 was awarded" in form
    senco.post(
        reverse("panels:review", args=[fr.pk]),
        {"result": "partly", "evidence": "Joins paired talk; not yet whole-class discussion.",
         "amount_spent": str(first.amount)},
    )  # fmt: skip
    fr.refresh_from_db()
    assert fr.state == "closed"
    released = LedgerEntry.objects.get(request=fr, kind=EntryKind.RELEASE).amount
    assert released == AWARD - first.amount
    closed = dashboard_row(officer, north)
    assert closed.committed == first.amount == closed.paid
    assert closed.available == before.allocated - first.amount
    assert closed == ledger_figures(north)
    assert not fr.instalments.filter(status=InstalmentStatus.SCHEDULED).exists()
    # Nothing more is paid for a closed request.
    finance.post(reverse("budgets:payments"))
    assert dashboard_row(officer, north) == closed
    # Sending the review form again (a second tab, the back button) changes nothing.
    again = senco.post(
        reverse("panels:review", args=[fr.pk]),
        {"result": "met", "evidence": "Again", "amount_spent": "0.00"},
        follow=True,
    )
    assert again.status_code == 200
    assert "there are no outcomes to report now" in again.content.decode()
    assert OutcomeReview.objects.get(request=fr).result == "partly"
    assert dashboard_row(officer, north) == closed


def test_an_urgent_request_decided_by_chairs_action_goes_to_the_next_agenda_to_ratify(
    county, login, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    finance, officer = login(county.finance_officer), login(county.send_officer)
    year = FinancialYear.for_date(today)
    allocate_by_formula(finance, county, year.pk)
    north = ClusterBudget.objects.get(cluster=county.north, stream=county.stream, year=year)
    before = dashboard_row(officer, north)

    with django_capture_on_commit_callbacks(execute=True):
        fr = draft_and_submit(login(county.senco), county, before.available, request_type="urgent")
    triage(officer, fr)

    # Only the rota's current chair may act, and only with an LA SEND officer's agreement.
    head_d = login(county.heads[1])
    assert head_d.get(reverse("panels:chairs_action", args=[fr.pk])).status_code == 404
    assert fr.reference not in head_d.get(reverse("dashboard")).content.decode()
    # The chair finds it on their dashboard and follows the link.
    chair = login(county.chair)
    link = reverse("panels:chairs_action", args=[fr.pk])
    assert f'href="{link}"' in chair.get(reverse("dashboard")).content.decode()
    assert chair.get(link).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = chair.post(
            reverse("panels:chairs_action", args=[fr.pk]),
            {"outcome": "approved", "officer": county.send_officer.pk,
             "rationale": "Placement at risk this week.", **dated("review_date", today + timedelta(days=60))},
        )  # fmt: skip
    assert done.status_code == 302, done.content.decode()
    # The officer the chair named is told, and confirms it in their own session.
    told = Notification.objects.get(user=county.send_officer, subject__startswith="Chair's action")
    assert officer.get(told.url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(told.url + "confirm/")
    fr.refresh_from_db()
    assert (fr.state, fr.amount_awarded) == ("approved", Decimal("5025.00"))
    assert dashboard_row(officer, north).committed - before.committed == Decimal("5025.00")
    assert dashboard_row(officer, north) == ledger_figures(north)
    assert Notification.objects.filter(
        user=county.senco, body__contains="Placement at risk this week."
    ).exists()

    # It is on the next meeting's agenda, for ratification rather than decision.
    item = AgendaItem.objects.get(request=fr)
    assert item.kind == "ratification" and item.meeting == county.north_meeting
    agenda = chair.get(reverse("panels:meeting", args=[county.north_meeting.pk])).content.decode()
    assert fr.reference in agenda
    chair.post(reverse("panels:open", args=[county.north_meeting.pk]))
    present = PanelMember.objects.filter(panel=county.north_panel, user__in=county.heads)
    chair.post(
        reverse("panels:attendance", args=[county.north_meeting.pk]),
        {"present": [m.pk for m in present]},
    )
    chair.post(reverse("panels:ratify", args=[item.pk]))
    item.refresh_from_db()
    assert item.ratified_at is not None
    chair.post(reverse("panels:close", args=[county.north_meeting.pk]), {"confirm": "yes"})
    minutes = officer.get(reverse("panels:minutes", args=[county.north_meeting.pk]))
    assert "for ratification: ratified" in minutes.content.decode()
    # Ratifying moves no money: the commitment was made once, at the chair's action.
    assert dashboard_row(officer, north) == ledger_figures(north)
