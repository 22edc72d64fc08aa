"""No page and no API answer speaks Django's, DRF's or Python's words.

Every form of the portal is filled with every kind of bad input its fields can get
(blank, too long, not a number, not a choice, an impossible date, an empty file,
nonsense money); everything it says is checked against a list of the frameworks'
own messages, built from their field classes and validators, so a new default can
never slip through. The API's refusals are checked the same way.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import re
from datetime import date

import pytest
from django import forms
from django.core import validators as django_validators
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.template import Context, Template
from rest_framework import fields as drf_fields
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.models import Invitation
from clusters.models import School
from panels.models import Meeting
from portal.api_errors import plain_api_errors

APPS = ("funding", "panels", "budgets", "clusters", "reports", "portal", "accounts")
PYTHON_MESSAGES = [
    "day is out of range for month",
    "month must be in 1..12",
    "year %(x)s is out of range",
    "invalid literal for int() with base 10: %(x)s",
    "[<class 'decimal.ConversionSyntax'>]",
]


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _template_pattern(template: str) -> re.Pattern:
    # "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d)."
    # and DRF's "{max_length}" placeholders stand for any word.
    parts = re.split(r"%\(\w+\)[sdr]|\{\w*\}", template)
    return re.compile(r"\S{1,40}?".join(re.escape(p) for p in parts), re.IGNORECASE)


class _AnyFigure(dict):
    def __missing__(self, key):
        return 2


def _templates(message) -> list[str]:
    """A message's template; a plural one ("at most %(limit_value)d character(s)") is read
    by filling it with 2s, which then stand for any figure."""
    text = str(message)
    if text:
        return [text]
    return [re.sub(r"\b2\b", "{}", message % _AnyFigure())]


def framework_patterns() -> list[re.Pattern]:
    messages: list = list(PYTHON_MESSAGES)
    for base in (forms.Field, models.Field, drf_fields.Field):
        for cls in [base, *_subclasses(base)]:
            messages.extend(getattr(cls, "default_error_messages", {}).values())
    for name in dir(django_validators):
        validator = getattr(django_validators, name)
        if getattr(validator, "message", None):
            messages.append(validator.message)
        if isinstance(getattr(validator, "messages", None), dict):
            messages.extend(validator.messages.values())
    messages.extend(serializers.Serializer.default_error_messages.values())
    templates = {t for m in messages for t in _templates(m)}
    return [_template_pattern(t) for t in templates if len(t) > 6]


PATTERNS = framework_patterns()


def framework_words_in(text: str) -> list[str]:
    return [p.pattern for p in PATTERNS if p.search(text)]


def test_the_list_of_framework_messages_is_the_frameworks_own():
    # A sanity check of the list itself: it knows the messages people met.
    for message in (
        "This field is required.",
        "Enter a number.",
        "Enter a whole number.",
        "Ensure this value has at most 4 characters (it has 10).",
        "Select a valid choice. zzz is not one of the available choices.",
        "day is out of range for month",
        "A valid integer is required.",
        "Ensure this field has no more than 20 characters.",
        '"zzz" is not a valid choice.',
    ):
        assert framework_words_in(message), message
    assert not framework_words_in("Enter the hourly rate, like 15.50")


# --- Every form, every bad input ------------------------------------------------------


def portal_forms() -> list[type[forms.BaseForm]]:
    for app in APPS:
        for module in ("forms", "twofactor.forms"):
            with contextlib.suppress(ModuleNotFoundError):
                importlib.import_module(f"{app}.{module}")
    found = {
        cls
        for cls in _subclasses(forms.BaseForm)
        if cls.__module__.split(".")[0] in APPS
        and not inspect.isabstract(cls)
        and "Mixin" not in cls.__name__
        and cls.__name__ not in ("GDSForm", "GDSModelForm")
        and not cls.__name__.startswith("_")  # a base for other forms
        and (not issubclass(cls, forms.BaseModelForm) or cls._meta.model is not None)
    }
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


def bad_values(field: forms.Field) -> list:
    """Every kind of wrong a person can type into ``field``."""
    if isinstance(field, forms.MultiValueField):  # the GOV.UK date input
        return [
            ["31", "2", "2025"],
            ["30", "13", "2025"],
            ["x", "1", "2025"],
            ["1", "1", "25"],
            ["", "1", "2025"],
            ["1", "", ""],
            ["0", "0", "0000"],
            ["1", "1", "99999"],
        ]
    if isinstance(field, forms.FileField):
        return [SimpleUploadedFile("empty.pdf", b""), "not a file"]
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return [["zzz"], "zzz"]
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return ["zzz-not-a-choice", "999999999", "-1"]
    if isinstance(field, forms.BooleanField):
        return ["maybe"]
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return ["abc", "1e999", "NaN", "-99999999999", "99999999999999", "1.23456789", "1,2"]
    if isinstance(field, forms.DateField):
        return ["31/02/2025", "abc", "2025-13-01"]
    if isinstance(field, forms.EmailField):
        return ["not-an-email"]
    max_length = getattr(field, "max_length", None) or 100
    # Money, initials, codes, and text one character too long and far too long.
    return ["abc", "12.345", "£-5", "1e3", "x" * (max_length + 1), "x" * 5_000, "  "]


def _as_data(name: str, field: forms.Field, value) -> tuple[dict, dict]:
    if isinstance(field, forms.MultiValueField):
        return {f"{name}_{i}": part for i, part in enumerate(value)}, {}
    if isinstance(field, forms.FileField) and not isinstance(value, str):
        return {}, {name: value}
    if isinstance(value, list):
        return {name: value}, {}
    return {name: value}, {}


@pytest.fixture
def form_kwargs(senco_a, school_a, send_officer):
    return {
        "schools": School.objects.filter(pk=school_a.pk),
        "years": [2025],
        "user": send_officer,
        "later_meetings": Meeting.objects.none(),
        "funding_request": None,
        "refused_too_big": False,
        "invitation": Invitation(email="new@school.sch.uk", first_name="New", last_name="One"),
    }


def build(cls, kwargs, data=None, files=None):
    params = inspect.signature(cls.__init__).parameters
    wanted = {
        n: kwargs[n]
        for n, p in params.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and n in kwargs
    }
    if "label" in params:
        wanted["label"] = "Message"
    return cls(data=data, files=files, **wanted)


def everything_said(form: forms.BaseForm) -> str:
    said = [str(e) for errors in form.errors.values() for e in errors]
    html = ""
    if getattr(form, "helper", None) is not None:
        html = Template("{% load crispy_forms_tags %}{% crispy form %}").render(
            Context({"form": form})
        )
    else:
        html = str(form)
    return "\n".join(said) + "\n" + re.sub(r"<[^>]+>", " ", html)


def test_every_form_of_the_portal_is_found():
    names = {cls.__name__ for cls in portal_forms()}
    assert {"PupilForm", "ConsentForm", "DecisionForm", "AllocationForm", "ReviewForm",
            "ReportRequestForm", "CodeForm", "SignInForm"} <= names  # fmt: skip


def test_no_form_answers_bad_input_in_the_frameworks_words(db, form_kwargs, school_a):
    assert School.objects.exists()
    problems = []
    for cls in portal_forms():
        form = build(cls, form_kwargs, data={})
        form.is_valid()
        for words in framework_words_in(everything_said(form)):
            problems.append((cls.__name__, "blank", words))
        for name, field in build(cls, form_kwargs).fields.items():
            for value in bad_values(field):
                data, files = _as_data(name, field, value)
                form = build(cls, form_kwargs, data=data, files=files)
                form.is_valid()
                for words in framework_words_in(everything_said(form)):
                    problems.append((cls.__name__, name, str(value)[:20], words))
    assert not problems, "\n".join(map(str, sorted(set(problems))))


def test_an_impossible_date_is_refused_in_words_that_name_it(db):
    from portal.forms import DateField

    class Form(forms.Form):
        consent = DateField(label="Date consent was given")

    cases = {
        ("31", "2", "2025"): "The date consent was given must be a real date",
        ("1", "13", "2025"): "The date consent was given must be a real date",
        ("x", "1", "2025"): "The date consent was given must be a real date",
        ("1", "1", "25"): "Year must include 4 numbers",
        ("", "1", "2025"): "The date consent was given must include a day",
        ("", "", ""): "Enter the date consent was given",
    }
    for (day, month, year), message in cases.items():
        form = Form({"consent_0": day, "consent_1": month, "consent_2": year})
        assert not form.is_valid()
        assert message in form.errors["consent"], (day, month, year, form.errors)
    form = Form({"consent_0": "29", "consent_1": "2", "consent_2": "2024"})
    assert form.is_valid() and form.cleaned_data["consent"] == date(2024, 2, 29)


# --- The API --------------------------------------------------------------------------


def portal_serializers() -> list[type[serializers.Serializer]]:
    for app in APPS:
        for module in ("serializers", "api"):
            with contextlib.suppress(ModuleNotFoundError):
                importlib.import_module(f"{app}.{module}")
    return sorted(
        {
            cls
            for cls in _subclasses(serializers.Serializer)
            if cls.__module__.split(".")[0] in APPS
        },
        key=lambda c: f"{c.__module__}.{c.__name__}",
    )


def api_bad_values(field) -> list:
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        return ["zzz", [{"zzz": 1}], [1]]
    if isinstance(field, serializers.Serializer):
        return ["zzz", {}]
    if isinstance(field, serializers.BooleanField):
        return ["maybe"]
    if isinstance(field, serializers.ChoiceField | serializers.RelatedField):
        return ["zzz", 999999999, None, ""]
    if isinstance(field, serializers.IntegerField | serializers.DecimalField):
        return ["abc", "1e999", "NaN", -99999999999, 99999999999999, "1.23456789", None, ""]
    if isinstance(field, serializers.DateField):
        return ["2025-02-31", "abc", 7, None]
    if isinstance(field, serializers.FileField):
        return ["not a file", None]
    max_length = getattr(field, "max_length", None) or 100
    return [7, "x" * (max_length + 1), "x" * 5_000, None, "", {"a": 1}]


def test_no_api_refusal_is_in_the_frameworks_words(db):
    problems = []
    for cls in portal_serializers():
        try:
            fields = cls().fields
        except Exception:  # noqa: BLE001,S112 — a serializer that needs its view's context
            continue
        cases = [{}] + [
            {name: value}
            for name, field in fields.items()
            if not field.read_only
            for value in api_bad_values(field)
        ]
        for data in cases:
            serializer = cls(data=data)
            try:
                serializer.is_valid(raise_exception=True)
            except ApiValidationError as error:
                said = str(plain_api_errors(error.detail))
                for words in framework_words_in(said):
                    problems.append((cls.__name__, str(data)[:40], words))
            except Exception:  # noqa: BLE001,S112 — validation that needs the request
                continue
    assert not problems
