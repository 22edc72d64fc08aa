"""Every form's messages in the portal's own words, the GOV.UK way.

Forms mix in :class:`PlainMessagesMixin` (through each app's GOV.UK form base). Once a
form is cleaned, any message that is Django's own ("This field is required.", "Enter
a number.", "Ensure this value has at most 4000 characters (it has 4001).") is
replaced by one that names the field: "Enter the outcomes sought", "The outcomes
sought must be 4,000 characters or fewer". Messages a form writes itself are left as
they are. Long text gets the GOV.UK character count, so the limit is on the page, and
dates the GOV.UK date input with messages for impossible dates (:class:`DateField`).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core import validators as django_validators
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.utils import ErrorList

# What a text field takes when its form says nothing: a line, or a few paragraphs.
LINE_MAX = 200
TEXT_MAX = 3000


def field_name(label: str) -> str:
    """ "Amount approved (£), for a partial approval" → "the amount approved"."""
    text = re.sub(r"\s*\(.*?\)", "", str(label or "this")).split(",")[0].strip().rstrip("?:.")
    if not text:
        return "this"
    if not (len(text) > 1 and text[1].isupper()):  # keep "SEN2 code", "UPN" as written
        text = text[0].lower() + text[1:]
    if re.match(r"(the|your|a|an|this)\b", text):
        return text
    return f"the {text}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _walk(cls):
    yield cls
    for sub in cls.__subclasses__():
        yield from _walk(sub)


@cache
def _framework_messages() -> tuple[frozenset[str], frozenset[int]]:
    # Each template's text, and its identity: a plural template ("at most %(limit_value)d
    # characters") has no text until it is filled in.
    found: list = []
    for base in (forms.Field, models.Field):
        for cls in _walk(base):
            found.extend(getattr(cls, "default_error_messages", {}).values())
    for name in dir(django_validators):
        validator = getattr(django_validators, name)
        if getattr(validator, "message", None):
            found.append(validator.message)
        if isinstance(getattr(validator, "messages", None), dict):
            found.extend(validator.messages.values())
    return frozenset(str(m) for m in found if str(m)), frozenset(id(m) for m in found)


def is_framework_message(message) -> bool:
    """Whether ``message`` (a ValidationError's template) is one of Django's own."""
    texts, ids = _framework_messages()
    return id(message) in ids or (bool(str(message)) and str(message) in texts)


def _is_choice(field: forms.Field) -> bool:
    return isinstance(field, forms.ChoiceField | forms.ModelChoiceField) or isinstance(
        field.widget, forms.Select | forms.RadioSelect | forms.CheckboxSelectMultiple
    )


def plain_message(field: forms.Field | None, name: str, error: ValidationError) -> str:
    """The portal's words for one of Django's refusals of ``field``."""
    params = error.params or {}
    limit = params.get("limit_value", params.get("max"))
    code = error.code
    if code in ("required", "null", "blank"):
        if field is not None and isinstance(field, forms.FileField):
            return f"Select {name}"
        if field is not None and isinstance(field, forms.BooleanField):
            return f"Confirm {name}"
        verb = "Select" if field is not None and _is_choice(field) else "Enter"
        return f"{verb} {name}"
    if code in ("max_length", "min_length") and isinstance(field, forms.FileField):
        return f"The file's name must be {limit} characters or fewer"
    if code == "max_length":
        return f"{_capital(name)} must be {limit:,} characters or fewer"
    if code == "min_length":
        return f"{_capital(name)} must be {limit:,} characters or more"
    if code == "max_value":
        return f"{_capital(name)} must be {limit} or less"
    if code == "min_value":
        return f"{_capital(name)} must be {limit} or more"
    if code == "step_size":
        return f"{_capital(name)} must be a multiple of {limit}"
    if code in ("max_digits", "max_whole_digits"):
        return f"{_capital(name)} is too big"
    if code == "max_decimal_places":
        return f"Enter {name} with at most {limit} decimal places"
    if code in ("invalid_choice", "invalid_list", "invalid_pk_value", "list"):
        return f"Choose {name} from the options given"
    if code == "unique":
        return f"{_capital(name)} is already used: choose another"
    if code == "unique_together":
        return "There is already one like this: change it or edit that one"
    if code == "empty":
        return "The selected file is empty"
    if code in ("missing", "contradiction"):
        return "Select a file"
    if code == "incomplete":
        return f"Enter {name} in full"
    if isinstance(field, forms.DecimalField | forms.FloatField):  # before: they are integers
        return f"Enter {name} as a number, like 2.5"
    if isinstance(field, forms.IntegerField):
        return f"Enter {name} as a whole number, like 12"
    if isinstance(field, forms.DateField | forms.DateTimeField):
        return f"Enter {name} as a real date, like 27 3 2026"
    if isinstance(field, forms.EmailField):
        return "Enter an email address in the correct format, like name@example.com"
    return f"Check {name}: it is not in a form the portal can read"


class PlainMessagesMixin:
    """Django's own messages replaced by the portal's; text fields given a length.

    ``error_names`` names a field where its label is a question ("What provision?"):
    ``{"description": "what the provision is"}``.
    """

    error_names: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, DateField) and name in self.error_names:
                field.rename(self.error_names[name])
            if isinstance(field, forms.CharField) and not isinstance(field, forms.ChoiceField):
                _give_a_length(field)

    def error_name(self, name: str) -> str:
        if name in self.error_names:
            return self.error_names[name]
        field = self.fields.get(name)
        return field_name(field.label if field and field.label else name.replace("_", " "))

    def full_clean(self):
        super().full_clean()
        if not self._errors:
            return
        for name, errors in list(self._errors.items()):
            field = self.fields.get(name)
            plain = ErrorList(error_class=errors.error_class, renderer=errors.renderer)
            for error in errors.as_data():
                if is_framework_message(error.message):
                    error = ValidationError(
                        plain_message(field, self.error_name(name), error), code=error.code
                    )
                plain.append(error)
            self._errors[name] = plain


def _give_a_length(field: forms.CharField) -> None:
    is_text = isinstance(field.widget, forms.Textarea)
    if field.max_length is None:
        field.max_length = TEXT_MAX if is_text else LINE_MAX
        field.validators.append(django_validators.MaxLengthValidator(field.max_length))
        field.widget.attrs.update(field.widget_attrs(field.widget))
    if is_text and not isinstance(field.widget, CharacterCountTextarea):
        # GOV.UK's character count states the limit and counts down as people type;
        # the browser's own maxlength would cut pasted text off silently.
        attrs = {k: v for k, v in field.widget.attrs.items() if k != "maxlength"}
        css = attrs.get("class", "govuk-textarea")
        attrs["class"] = f"{css} govuk-js-character-count"
        attrs.setdefault("aria-describedby", "")  # crispy-forms-gds adds the count's id to it
        field.widget = CharacterCountTextarea(attrs=attrs, max_characters=field.max_length)


class CharacterCountTextarea(forms.Textarea):
    """A textarea inside GOV.UK's character count component."""

    template_name = "portal/widgets/character_count.html"

    def __init__(self, attrs=None, *, max_characters: int):
        super().__init__(attrs)
        self.max_characters = max_characters

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["max_characters"] = self.max_characters
        return context


class DateField(DateInputField):
    """The GOV.UK date input, refusing impossible dates in words that name the date."""

    def __init__(self, *, label: str, name: str | None = None, **kwargs):
        kwargs.setdefault("require_all_fields", False)
        super().__init__(label=label, **kwargs)
        self.rename(name or field_name(label))

    def rename(self, name: str) -> None:
        """Name the date in its messages (a form's ``error_names``)."""
        self.date_name = name
        self.error_messages["required"] = f"Enter {self.date_name}"
        self.error_messages["incomplete"] = f"Enter {self.date_name} in full"
        real = f"{_capital(self.date_name)} must be a real date"
        for part, sub in zip(("day", "month", "year"), self.fields, strict=True):
            sub.error_messages["incomplete"] = f"{_capital(self.date_name)} must include a {part}"
            sub.validators = [django_validators.RegexValidator(r"^[0-9]+$", real)]
            sub.max_length = 4
            sub.validators.append(django_validators.MaxLengthValidator(4, real))

    def compress(self, data_list):
        day, month, year = data_list
        if not (day and month and year):
            return None
        if len(year) != 4:
            raise ValidationError("Year must include 4 numbers", code="invalid_date")
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            # Python's own words ("day is out of range for month") never reach the page.
            raise ValidationError(
                f"{_capital(self.date_name)} must be a real date", code="invalid_date"
            ) from None


class SignInForm(PlainMessagesMixin, AuthenticationForm):
    error_names = {"username": "your username", "password": "your password"}
    error_messages = {
        "invalid_login": "Enter the username and password you were given: these do not match",
        "inactive": "This account is closed: ask the LA's administrator to open it",
    }
