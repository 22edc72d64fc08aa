"""Notifications: an in-app row and an email, sent once the transaction commits.

Who is told of what is one table, :data:`EVENTS` (with :data:`TRANSITION_EVENTS` for
the request's lifecycle): apps announce events; they do not pick recipients or words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from clusters.models import Membership, Role, current_membership

from .models import Notification
from .money import format_gbp
from .wording import counted

User = get_user_model()


def notify(users: Iterable[User], subject: str, body: str = "", url: str = "") -> None:
    """Tell each user, in the app and by email. Call inside the service's transaction."""
    users = [u for u in users if u is not None and u.is_active]
    Notification.objects.bulk_create(
        [Notification(user=u, subject=subject[:200], body=body, url=url) for u in users]
    )
    recipients = [u.email for u in users if u.email]
    if not recipients:
        return
    link = f"{settings.PORTAL_BASE_URL}{url}" if url else settings.PORTAL_BASE_URL

    def _send() -> None:
        # One message per person: recipients must not see each other's addresses.
        for address in recipients:
            send_mail(subject, f"{body}\n\n{link}", None, [address], fail_silently=True)

    transaction.on_commit(_send)


# ---------------------------------------------------------------------------
# Who is told of what: one table (EVENTS) of the events users hear of, each with
# its audience and its message, and one of what each request transition announces
# (TRANSITION_EVENTS). Services call :func:`announce` (or, for transitions, the
# funding app's effect calls :func:`announce_transition`) inside their transaction.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str = ""
    url: str = ""


@dataclass(frozen=True)
class Event:
    # Who hears of it, and what they are told, from the event's facts (keyword arguments).
    audience: Callable[..., Iterable[User]]
    notice: Callable[..., Notice]


def announce(event: str, **facts: Any) -> None:
    """Tell the event's audience of it. Call inside the service's transaction."""
    rule = EVENTS[event]
    notice = rule.notice(**facts)
    notify(rule.audience(**facts), notice.subject, notice.body, notice.url)


# --- Audiences ----------------------------------------------------------------


def _with_role(role: str) -> list[User]:
    return list(
        User.objects.filter(
            current_membership("memberships__"), memberships__role=role, is_active=True
        ).distinct()
    )


def la_send_officers(**_: Any) -> list[User]:
    return _with_role(Role.LA_SEND_OFFICER)


def finance_officers(**_: Any) -> list[User]:
    return _with_role(Role.LA_FINANCE_OFFICER)


def _not_left() -> Q:
    """Not a leaver: a person whose every membership has ended is told nothing more of
    the requests they made (one with no membership at all, an administrator, still is)."""
    memberships = Membership.objects.filter(user_id=OuterRef("pk"))
    return ~Q(Exists(memberships)) | Q(Exists(memberships.current()))


def school_sencos(*, fr, user=None, **_: Any) -> list[User]:
    """The request's author and its school's SENCOs, less whoever acted."""
    users = User.objects.filter(
        (Q(pk=fr.created_by_id) & _not_left())
        | Q(
            current_membership("memberships__"),
            memberships__role=Role.SENCO,
            memberships__school_id=fr.school_id,
        ),
        is_active=True,
    ).distinct()
    return [u for u in users if user is None or u.pk != user.pk]


def school_staff(*, fr, **_: Any) -> list[User]:
    """Who hears of a decision: the school's SENCOs and whoever made the request."""
    users = User.objects.filter(
        (Q(pk=fr.created_by_id) & _not_left())
        | Q(
            current_membership("memberships__"),
            memberships__role=Role.SENCO,
            memberships__school_id=fr.school_id,
        )
    ).distinct()
    return sorted(users, key=lambda u: u.pk)


def cluster_staff(*, meeting, **_: Any) -> list[User]:
    """The heads and SENCOs of the schools in the meeting's cluster (none for a district)."""
    if not meeting.panel.cluster_id:
        return []
    staff = [
        m.user
        for m in Membership.objects.current()
        .filter(
            school__cluster_id=meeting.panel.cluster_id, role__in=[Role.HEADTEACHER, Role.SENCO]
        )
        .select_related("user")
    ]
    return list({u.pk: u for u in staff}.values())


def letter_readers(*, school, letters, **_: Any) -> list[User]:
    """Who receives a school's decision letters: its SENCOs and headteachers, and whoever
    made each request."""
    users = User.objects.filter(
        Q(
            current_membership("memberships__"),
            memberships__school_id=school.pk,
            memberships__role__in=[Role.SENCO, Role.HEADTEACHER],
        )
        | (Q(pk__in=[letter.item.request.created_by_id for letter in letters]) & _not_left()),
        is_active=True,
    ).distinct()
    return sorted(users, key=lambda u: u.pk)


def meeting_people(*, meeting, requests=(), **_: Any) -> list[User]:
    """The meeting's members (serving on its day) and, for each request on its agenda, the
    school's SENCOs and whoever made it."""
    from panels.models import PanelMember

    users = {
        m.user
        for m in PanelMember.objects.filter(panel_id=meeting.panel_id).select_related("user")
        if m.serves_on(meeting.date)
    }
    school_ids = {fr.school_id for fr in requests}
    creators = [fr.created_by_id for fr in requests if fr.created_by_id]
    users |= set(
        User.objects.filter(
            Q(
                current_membership("memberships__"),
                memberships__school_id__in=school_ids,
                memberships__role=Role.SENCO,
            )
            | (Q(pk__in=creators) & _not_left())
        ).distinct()
    )
    return sorted(users, key=lambda u: u.pk)


def requester(*, run, **_: Any) -> list[User]:
    """Whoever asked for the report."""
    return [run.requested_by] if run.requested_by_id else []


# --- Messages -------------------------------------------------------------------


def _label(fr) -> str:
    return f"{fr.reference or 'Draft'} ({fr.school.name})"


def _request_url(fr) -> str:
    return reverse("funding:detail", args=[fr.pk])


def _school_moved(verb: str) -> Callable[..., Notice]:
    def notice(*, fr, **_: Any) -> Notice:
        return Notice(
            f"{verb}: {_label(fr)}",
            f"{fr.stream.name}, {format_gbp(fr.amount_requested)} requested.",
            _request_url(fr),
        )

    return notice


def _request_moved(*, fr, transition, message: str = "", **_: Any) -> Notice:
    body = f"Your request is now: {fr.get_state_display().lower()}."
    if message and transition.name in ("return", "withdraw", "unschedule"):
        body += f"\n\nMessage from the LA:\n{message}"
    subject = (
        f"{_label(fr)}: the LA has asked for more information"
        if transition.name == "return"
        else f"{_label(fr)}: {transition.label.lower()}"
    )
    return Notice(subject, body, _request_url(fr))


def _review_due(*, fr, **_: Any) -> Notice:
    return Notice(
        f"Review due for {fr.reference}",
        "Report whether the outcomes were met, with evidence.",
        reverse("panels:review", args=[fr.pk]),
    )


def _decision(*, decision, **_: Any) -> Notice:
    fr = decision.request
    body = f"Outcome: {decision.get_outcome_display()}.\n\nRationale: {decision.rationale}"
    if decision.amount is not None:
        body += f"\n\nAmount awarded: {format_gbp(decision.amount)}"
    if decision.conditions:
        body += f"\n\nConditions: {decision.conditions}"
    if decision.review_date:
        body += f"\n\nReview date: {decision.review_date:%d %B %Y}"
    if decision.deferred_to_id:
        body += f"\n\nIt is on the agenda of the meeting of {decision.deferred_to.date:%d %B %Y}."
    return Notice(
        f"Panel decision on {fr.reference}: {decision.get_outcome_display()}",
        body,
        reverse("panels:decision", args=[decision.pk]),
    )


def _not_heard(*, fr, rationale: str, **_: Any) -> Notice:
    return Notice(
        f"Not heard: {fr.reference} is deferred to the next panel meeting",
        rationale,
        _request_url(fr),
    )


def _appeal_heard(*, fr, appeal, meeting=None, **_: Any) -> Notice:
    body = appeal.notes
    if appeal.outcome == "upheld":
        body += (
            f"\n\nThe request goes back to the panel: it is on the agenda of {meeting}."
            if meeting
            else "\n\nThe request goes back to the panel at its next meeting open for requests."
        )
    else:
        body += "\n\nThe panel's decision stands. This was the last step of the appeal route."
    return Notice(
        f"Appeal outcome for {fr.reference}: {appeal.get_outcome_display()}",
        body,
        _request_url(fr),
    )


def _minutes_published(*, meeting, **_: Any) -> Notice:
    return Notice(
        f"Minutes published: {meeting}",
        "The minutes of the panel meeting are published.",
        reverse("panels:minutes", args=[meeting.pk]),
    )


def _decision_letters(*, school, letters, meeting, **_: Any) -> Notice:
    n = len(letters)
    lines = [f"- {letter.subject}" for letter in letters]
    return Notice(
        f"Decision letter{'s' if n != 1 else ''}: {meeting.panel.name}, {meeting.date:%-d %B %Y}",
        f"The panel's decision letter{'s are' if n != 1 else ' is'} ready for {school.name}. "
        "You can share each letter with the pupil's parents or carers.\n\n" + "\n".join(lines),
        reverse("panels:meeting_letters", args=[meeting.pk]),
    )


def _meeting_cancelled(*, meeting, reason: str, onward=None, requests=(), **_: Any) -> Notice:
    where = (
        f"Its agenda moves to the meeting of {onward.date:%-d %B %Y}."
        if onward
        else "No later meeting is published: its requests go back to the LA to schedule."
    )
    refs = ", ".join(fr.reference for fr in requests)
    return Notice(
        f"Panel meeting cancelled: {meeting.panel.name}, {meeting.date:%-d %B %Y}",
        f"Reason: {reason}\n\n{where}" + (f"\n\nRequests on it: {refs}." if refs else ""),
        reverse("dashboard"),
    )


def _meeting_moved(*, meeting, reason: str, was, requests=(), **_: Any) -> Notice:
    refs = ", ".join(fr.reference for fr in requests)
    return Notice(
        f"Panel meeting moved: {meeting.panel.name}, {was:%-d %B %Y} is now {meeting.date:%-d %B %Y}",
        f"Reason: {reason}\n\nRequests close for it on {meeting.closing_date:%-d %B %Y}."
        + (f"\n\nRequests on it: {refs}." if refs else ""),
        reverse("dashboard"),
    )


def _overpayment(*, fr, budget, settlement, spent, **_: Any) -> Notice:
    return Notice(
        f"Overpayment to recover: {format_gbp(settlement.overpaid)} on {fr.reference}",
        f"{fr.school.name} reported spending {format_gbp(spent)} at review but "
        f"has been paid {format_gbp(settlement.paid)}. Recover the "
        f"{format_gbp(settlement.overpaid)} overpaid from {budget.cluster}'s {budget.stream} "
        f"budget for {budget.year}.",
        reverse("budgets:request", args=[fr.pk]),
    )


def _payments_skipped(*, skipped, day, **_: Any) -> Notice:
    n = len(skipped)
    lines = [
        f"- {i.request.reference}, {i.term} instalment of {format_gbp(i.amount)} due "
        f"{i.due_date.day} {i.due_date:%b %Y} to {i.school.name}: {i.skip_reason}"
        for i in skipped
    ]
    return Notice(
        f"Payment run: {n} instalment{'s' if n != 1 else ''} could not be paid",
        f"The payment run on {day.day} {day:%B %Y} could not pay "
        f"{'this instalment' if n == 1 else 'these instalments'}; "
        "the run will try again each day.\n\n" + "\n".join(lines),
        reverse("budgets:payments"),
    )


def _balances_differ(*, differences, **_: Any) -> Notice:
    budgets = {d.budget.pk: d.budget for d in differences}
    lines = [
        f"- {d.budget.cluster} {d.budget.stream} {d.budget.year}: {d.kind} kept as "
        f"{format_gbp(d.kept)}, the ledger says {format_gbp(d.ledger)}"
        for d in differences
    ]
    n = len(budgets)
    return Notice(
        f"Budget check: {n} budget{'s' if n != 1 else ''} differ{'s' if n == 1 else ''} "
        "from the ledger",
        "The nightly check found budget figures that are not the sums of the ledger. The "
        "ledger is right; ask the portal's administrator to rebuild the balances "
        "(manage.py check_balances --repair) and to find out why.\n\n" + "\n".join(lines),
        reverse("budgets:county"),
    )


def _report_ready(*, run, **_: Any) -> Notice:
    return Notice(f"Your report is ready: {run}", url=reverse("reports:detail", args=[run.pk]))


def _report_failed(*, run, message: str, **_: Any) -> Notice:
    return Notice(
        f"Your report could not be produced: {run}",
        message,
        reverse("reports:detail", args=[run.pk]),
    )


def named_officer(*, proposal, **_: Any) -> list[User]:
    """The LA SEND officer a chair's action names to confirm it."""
    return [proposal.officer]


def proposing_chair(*, proposal, **_: Any) -> list[User]:
    """The chair who proposed the chair's action."""
    return [proposal.proposed_by]


def chair_and_officer(*, proposal, **_: Any) -> list[User]:
    """Both people of a chair's action."""
    return [proposal.proposed_by, proposal.officer]


def _proposal_terms(proposal) -> str:
    body = (
        f"Outcome: {proposal.get_outcome_display()}."
        + (f" Amount: {format_gbp(proposal.amount)}." if proposal.amount is not None else "")
        + f"\n\nRationale: {proposal.rationale}"
    )
    if proposal.conditions:
        body += f"\n\nConditions: {proposal.conditions}"
    if proposal.review_date:
        body += f"\n\nReview date: {proposal.review_date:%d %B %Y}"
    return body


def _chairs_action_proposed(*, proposal, **_: Any) -> Notice:
    chair = proposal.proposed_by.get_full_name() or proposal.proposed_by.get_username()
    return Notice(
        f"Chair's action to confirm: {_label(proposal.request)}",
        f"{chair}, chair, proposes this decision by chair's action and names you to agree "
        f"it. Nothing is decided until you confirm it; you may refuse it, saying why."
        f"\n\n{_proposal_terms(proposal)}",
        reverse("panels:proposal", args=[proposal.pk]),
    )


def _chairs_action_answered(*, proposal, **_: Any) -> Notice:
    officer = proposal.officer.get_full_name() or proposal.officer.get_username()
    if proposal.status == "refused":
        return Notice(
            f"Chair's action refused: {_label(proposal.request)}",
            f"{officer} refused your chair's action: {proposal.refusal_reason}\n\nNothing "
            "was decided. You may propose again, or leave it for the panel.",
            reverse("panels:proposal", args=[proposal.pk]),
        )
    return Notice(
        f"Chair's action confirmed: {_label(proposal.request)}",
        f"{officer} confirmed your chair's action: {proposal.get_outcome_display()}. It goes "
        "on the next meeting's agenda for ratification.",
        reverse("panels:proposal", args=[proposal.pk]),
    )


def _chairs_action_withdrawn(*, proposal, **_: Any) -> Notice:
    chair = proposal.proposed_by.get_full_name() or proposal.proposed_by.get_username()
    return Notice(
        f"Chair's action withdrawn: {_label(proposal.request)}",
        f"{chair}, chair, withdrew the chair's action you were named to confirm: "
        f"{proposal.refusal_reason}\n\nNothing was decided; there is nothing for you to do.",
        reverse("panels:proposal", args=[proposal.pk]),
    )


def _chairs_action_lapsed(*, proposal, **_: Any) -> Notice:
    return Notice(
        f"Chair's action lapsed: {_label(proposal.request)}",
        f"{proposal.refusal_reason} The panel decides it there, so the chair's action waiting "
        "to be confirmed has lapsed. Nothing was decided by chair's action.",
        reverse("panels:proposal", args=[proposal.pk]),
    )


def the_leaver(*, membership, **_: Any) -> list[User]:
    """The person whose membership ends."""
    return [membership.user]


def the_new_holder(*, hand_to=None, **_: Any) -> list[User]:
    """The SENCO a leaver's drafts are handed to."""
    return [hand_to] if hand_to is not None else []


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _membership_ended(*, membership, handed=(), hand_to=None, **_: Any) -> Notice:
    body = (
        f"Your LA has ended your role as {membership.get_role_display()} at {membership.place} "
        f"from {membership.ends_on:%-d %B %Y}. From that day the portal gives you no access "
        "through it."
    )
    if handed:
        body += (
            f"\n\nYour {counted(len(handed), 'draft request')} "
            f"{'was' if len(handed) == 1 else 'were'} handed to {_name(hand_to)}, who carries on "
            "with them."
        )
    return Notice(
        f"Your role as {membership.get_role_display()} at {membership.place} ends", body,
        reverse("dashboard"),
    )  # fmt: skip


def _drafts_handed_over(*, membership, handed=(), **_: Any) -> Notice:
    refs = ", ".join(f"{fr.stream.name} for {fr.pupil_initials or 'a group'}" for fr in handed)
    return Notice(
        f"{counted(len(handed), 'draft request')} handed to you from {_name(membership.user)}",
        f"{_name(membership.user)} is leaving {membership.place} on "
        f"{membership.ends_on:%-d %B %Y}. Their drafts are now yours to finish and submit: "
        f"{refs}.",
        reverse("funding:list"),
    )


EVENTS: dict[str, Event] = {
    # The school moved its request: the LA hears of it.
    "request_submitted": Event(la_send_officers, _school_moved("New request submitted")),
    "request_resubmitted": Event(
        la_send_officers, _school_moved("Request resubmitted with more information")
    ),
    "reconsideration_asked": Event(la_send_officers, _school_moved("Reconsideration asked for")),
    "withdrawn_by_school": Event(
        la_send_officers, _school_moved("Request withdrawn by the school")
    ),
    # Anything else happened to the school's request: its SENCOs hear of it.
    "request_moved": Event(school_sencos, _request_moved),
    "review_due": Event(school_staff, _review_due),
    # The panel (funding's transitions say nothing of these: the panel tells the rationale).
    "decision": Event(school_staff, _decision),
    "not_heard": Event(school_staff, _not_heard),
    "appeal_heard": Event(school_staff, _appeal_heard),
    "minutes_published": Event(cluster_staff, _minutes_published),
    # Chair's action: the officer the chair names confirms or refuses; the chair hears which.
    "chairs_action_proposed": Event(named_officer, _chairs_action_proposed),
    "chairs_action_answered": Event(proposing_chair, _chairs_action_answered),
    "chairs_action_withdrawn": Event(named_officer, _chairs_action_withdrawn),
    "chairs_action_lapsed": Event(chair_and_officer, _chairs_action_lapsed),
    "decision_letters": Event(letter_readers, _decision_letters),
    "meeting_cancelled": Event(meeting_people, _meeting_cancelled),
    "meeting_moved": Event(meeting_people, _meeting_moved),
    # Money finance officers act on.
    "overpayment": Event(finance_officers, _overpayment),
    "payments_skipped": Event(finance_officers, _payments_skipped),
    "balances_differ": Event(finance_officers, _balances_differ),
    # A leaver (accounts.services.end_membership): they, and whoever takes their drafts.
    "membership_ended": Event(the_leaver, _membership_ended),
    "drafts_handed_over": Event(the_new_holder, _drafts_handed_over),
    # Reports: the officer who asked.
    "report_ready": Event(requester, _report_ready),
    "report_failed": Event(requester, _report_failed),
}

# What each request transition announces; a transition not listed announces
# "request_moved", and None announces nothing because a fuller event says it (the
# panel's "decision" with its rationale, its "appeal_heard"; a close is the school's own).
TRANSITION_EVENTS: dict[str, str | None] = {
    "submit": "request_submitted",
    "resubmit": "request_resubmitted",
    "reconsider": "reconsideration_asked",
    "approve": None,
    "partially_approve": None,
    "decline": None,
    "defer": None,
    "request_information": None,
    "appeal_upheld": None,
    "review_due": "review_due",
    "close": None,
    # The school's own draft, which nobody else has seen.
    "delete": None,
}


def announce_transition(fr, transition, *, user, by_school: bool, message: str = "") -> None:
    """Tell whoever the table says of a request's transition (funding's effect calls this)."""
    event = TRANSITION_EVENTS.get(transition.name, "request_moved")
    if transition.name == "withdraw" and by_school and fr.reference:
        event = "withdrawn_by_school"  # a submitted request the school took back: tell the LA
    if event is not None:
        announce(event, fr=fr, transition=transition, user=user, message=message)
