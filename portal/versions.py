"""Versions: a save based on an out-of-date copy of a record is refused, never applied.

Two people can open the same record (a draft in two tabs; a panel, stream or meeting two
LA officers keep). Each such model has a version, an integer the record's one writer
increments on every save (``docs/architecture.md`` §10). A page or API client says which
version its edit was based on; if the record has moved on, the save is refused with a
:class:`StaleVersion` (409) naming, field by field, what the user entered and what was
saved meanwhile, and nothing changes. The check and the write are in one transaction
under the row's lock, so no other save can slip between them.

In a model::

    version = versions.VersionField()

In its service, inside the write's transaction::

    locked = Model.objects.select_for_update().get(pk=obj.pk)
    versions.check(locked, expected, yours=fields)   # refuses a stale edit
    ... write ...
    versions.advance(locked)                         # version + 1, saved with the row

``expected=None`` means the caller named no version (an API client that does not send
one); it is not checked. Pages always send theirs. A stale edit whose every field
(``yours``) is already as saved goes through: it overwrites nothing anyone saved (the
page's own autosave landing just before its "Save and continue", say).

Pages: the form carries ``{% include "includes/version_field.html" %}`` (the context's
``version``, read back with :func:`posted`); the view catches :class:`StaleVersion` and
renders the same page with status 409, the user's input still in the form, the
conflict's ``{% include "includes/version_conflict.html" %}`` (context from
:func:`conflict_context`) offering to keep theirs (resubmit on the saved version) or take
the saved one. The API: serializers carry ``version`` (read back on PATCH/POST); the
handler (``portal.api_errors``) answers the 409 with ``detail``, ``saved_version`` and
``changes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from .errors import ConflictError

NOTHING = "nothing"
# Names of the submit buttons a "keep mine" resubmission presses again (first found).
SUBMIT_NAMES = ("continue", "save_draft", "add_line", "add_cost", "upload", "action", "save")


class VersionField(models.PositiveIntegerField):
    """The record's version: 1 when made, one more on every save by its writer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", 1)
        kwargs.setdefault(
            "help_text", "Goes up by one on every save; an edit based on an older one is refused."
        )
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class Change:
    """One field that differs between what the user entered and what is saved now."""

    field: str
    label: str
    yours: str
    saved: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "label": self.label, "yours": self.yours, "saved": self.saved}

    @property
    def sentence(self) -> str:
        return f"{self.label}: you entered {self.yours}; saved meanwhile: {self.saved}"


class StaleVersion(ConflictError):
    """The edit was based on version ``based_on``; the record is at ``current`` (409)."""

    def __init__(
        self,
        *,
        what: str,
        based_on: int,
        current: int,
        changes: list[Change],
        saved_at: datetime | None = None,
    ):
        self.what, self.based_on, self.current = what, based_on, current
        self.changes, self.saved_at = changes, saved_at
        when = f" at {_time(saved_at)}" if saved_at else ""
        if changes:
            detail = "; ".join(c.sentence for c in changes)
            message = (
                f"{what[:1].upper()}{what[1:]} was changed by someone else{when} since you "
                f"opened it, so your changes have not been saved. {detail}."
            )
        else:
            message = (
                f"{what[:1].upper()}{what[1:]} was changed by someone else{when} since you "
                "opened it, so your change has not been saved. Check it and try again."
            )
        super().__init__(message)

    @property
    def api_data(self) -> dict[str, Any]:
        """What the API adds to ``detail``: the saved version and each field's two values."""
        return {"saved_version": self.current, "changes": [c.as_dict() for c in self.changes]}


def _time(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "H:i")


def shown(value: Any, field: models.Field | None = None) -> str:
    """A value as a person reads it: choices by their label, dates in words, yes or no."""
    if value is None or value == "":
        return NOTHING
    if field is not None and field.choices and not isinstance(value, models.Model):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "j F Y H:i")
    if isinstance(value, date):
        return date_format(value, "j F Y")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, list | tuple | set):
        return ", ".join(shown(v, field) for v in value) or NOTHING
    return str(value)


def _comparable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, str):
        return value.strip().replace("\r\n", "\n")
    if isinstance(value, list | tuple | set):
        return sorted(str(v) for v in value)
    if value == "":
        return None
    return value


def _label(saved: models.Model, name: str, labels: Mapping[str, str] | None) -> str:
    if labels and name in labels:
        return labels[name]
    try:
        verbose = str(saved._meta.get_field(name).verbose_name)
    except Exception:
        verbose = name.replace("_", " ")
    return verbose[:1].upper() + verbose[1:]


def changes(
    saved: models.Model, yours: Mapping[str, Any], *, labels: Mapping[str, str] | None = None
) -> list[Change]:
    """The fields of ``yours`` whose value differs from ``saved``'s, with both values."""
    found = []
    for name, value in yours.items():
        try:
            field = saved._meta.get_field(name)
        except Exception:
            field = None
        current = getattr(saved, name, None)
        if isinstance(field, models.ForeignKey) and not isinstance(value, models.Model):
            current = getattr(saved, field.attname)
        if _comparable(value) == _comparable(current):
            continue
        found.append(
            Change(
                field=name,
                label=_label(saved, name, labels),
                yours=shown(value, field),
                saved=shown(current, field),
            )
        )
    return found


def check(
    locked: models.Model,
    expected: int | None,
    *,
    yours: Mapping[str, Any] | None = None,
    compare: models.Model | None = None,
    labels: Mapping[str, str] | None = None,
    what: str | None = None,
) -> None:
    """Refuse the edit if ``locked`` (just locked with ``select_for_update``) is no longer
    at version ``expected``. ``yours`` (field → value the user sent) names what differs
    from the saved record (or from ``compare``, e.g. the line being edited)."""
    if expected is None or expected == locked.version:
        return
    found = changes(compare or locked, yours or {}, labels=labels)
    if yours and not found:
        # Everything the user sent is already what is saved (e.g. the page's own autosave
        # landed first): the save overwrites nothing anyone saved, so it goes through.
        return
    raise StaleVersion(
        what=what or f"this {locked._meta.verbose_name}",
        based_on=expected,
        current=locked.version,
        changes=found,
        saved_at=getattr(locked, "updated_at", None),
    )


def advance(locked: models.Model) -> str:
    """One more version, set on the locked row; returns the field name for ``update_fields``."""
    locked.version += 1
    return "version"


def save(locked: models.Model, *fields: str) -> None:
    """Save the locked row's ``fields`` (all of them if none) with the next version."""
    advance(locked)
    if fields:
        names = {"version", *fields}
        if any(f.name == "updated_at" for f in locked._meta.get_fields()):
            names.add("updated_at")
        locked.save(update_fields=sorted(names))
    else:
        locked.save()


# --- Pages ------------------------------------------------------------------------


def posted(data: Mapping[str, Any] | None) -> int | None:
    """The version a posted form was based on, or None when it names none."""
    if not data:
        return None
    raw = str(data.get("version") or "").strip()
    return int(raw) if raw.isdigit() else None


def conflict_context(
    exc: StaleVersion,
    *,
    data: Mapping[str, Any] | None = None,
    retry_url: str = "",
    saved_url: str = "",
    keep_label: str = "Keep mine",
    files: bool = False,
) -> dict[str, Any]:
    """What ``includes/version_conflict.html`` shows: the changes, a form that posts the
    user's own input again on the saved version, and a link to the saved version."""
    hidden: list[tuple[str, str]] = []
    pressed, pressed_value = "", ""
    if data is not None:
        for name in data:
            if name in ("csrfmiddlewaretoken", "version"):
                continue
            if name in SUBMIT_NAMES:
                if not pressed:
                    # Pressed again with its own value ("action=cancel" is not "action=move").
                    pressed, pressed_value = name, str(data.get(name) or "")
                continue
            values: Iterable[str] = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
            hidden += [(name, v) for v in values]
    return {
        "conflict": {
            "message": exc.message,
            "what": exc.what,
            "changes": exc.changes,
            "saved_at": exc.saved_at,
            "version": exc.current,
            "hidden": hidden,
            "pressed": pressed,
            "pressed_value": pressed_value,
            "retry_url": retry_url,
            "saved_url": saved_url,
            "keep_label": keep_label,
            "files": files,
        },
        # The form on the page posts on the saved version too, so "Keep mine" works from it.
        "version": exc.current,
    }
