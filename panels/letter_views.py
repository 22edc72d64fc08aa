"""Decision letters' pages: the meeting's letters, one letter (page and PDF), and the LA's
templates. Thin: the selectors decide who reads what (404 otherwise), the services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from portal.audit import record_view

from . import policy, selectors, services
from .forms import LetterTemplateForm
from .letters import PLACEHOLDERS, REQUIRED, letter_download, letter_view


@login_required
def meeting_letters(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.meeting_letters(request.user, pk)
    return render(request, "panels/letters/meeting.html", {"found": found})


@login_required
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    letter = selectors.get_letter(request.user, pk)
    # The letter names the pupil by initials, year group and sex: a read of pupil data.
    record_view(request, letter.item.request, action="view_letter", detail=f"Letter {letter.pk}")
    return render(
        request, "panels/letters/letter.html", {"view": letter_view(letter), "letter": letter}
    )


@login_required
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    letter = selectors.get_letter(request.user, pk)
    return letter_download(request, letter, detail=f"Letter {letter.pk} (PDF)")


def _officer_only(request: HttpRequest) -> None:
    if not policy.can_edit_letter_templates(request.user):
        raise Http404("Not found")


@login_required
def letter_templates(request: HttpRequest) -> HttpResponse:
    _officer_only(request)
    return render(
        request, "panels/letters/templates.html", {"templates": selectors.letter_templates()}
    )


@login_required
def edit_letter_template(request: HttpRequest, outcome: str) -> HttpResponse:
    _officer_only(request)
    template = selectors.letter_template(outcome)
    form = LetterTemplateForm(
        request.POST or None, initial={"subject": template.subject, "body": template.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_letter_template(outcome, by=request.user, **form.cleaned_data)
        except services.LetterTemplateError as exc:
            for field, problems in exc.problems.items():
                for problem in problems:
                    form.add_error(field, problem)
        else:
            messages.success(
                request,
                f"The letter for “{template.get_outcome_display().lower()}” is saved. "
                "Letters already sent keep their words.",
            )
            return redirect("panels:letter_templates")
    status = 400 if form.errors else 200
    return render(
        request,
        "panels/letters/template_form.html",
        {
            "template": template,
            "form": form,
            "placeholders": [
                (name, label, name in REQUIRED.get(outcome, ()))
                for name, label in PLACEHOLDERS.items()
            ],
        },
        status=status,
    )
