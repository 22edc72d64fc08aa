"""Pupil data never leaves the portal in a log line or an error report
(docs/architecture.md §12).

:func:`scrub` is the one place that knows which keys carry pupil data: the log
processors (portal/logs.py) and Sentry's ``before_send`` (:func:`before_send`) both
call it. It replaces the value of every key named here, at any depth, with
``FILTERED``; Sentry's events also lose request bodies, cookies, query strings and
the local variables of stack frames, whatever their keys.
"""

from __future__ import annotations

from typing import Any

FILTERED = "[Filtered]"

# Pupil fields (funding.FundingRequest and the forms that post them), free text about
# a pupil, and secrets. Compared lower-cased; a key containing one of PUPIL_PARTS
# ("…_voice", "…upn…") is caught too.
PUPIL_KEYS = frozenset(
    {
        "upn", "pupil_upn", "upns", "pupil_key", "pupil_initials", "initials",
        "first_name", "last_name", "full_name",
        "date_of_birth", "dob", "birth_date", "sex", "year_group",
        "primary_need", "secondary_need", "sen_support_since",
        "ordinarily_available_provision", "outcomes_sought", "agencies_involved",
        "parent_voice", "pupil_voice", "project_summary", "needs", "narrative",
        "rationale", "notes", "note", "reason", "comment", "comments", "body", "text",
        "reports_awaited", "what_changed", "outcome_notes", "summary",
        "password", "secret", "token", "csrfmiddlewaretoken", "sessionid", "cookie",
        "authorization", "otp_token",
    }
)  # fmt: skip
PUPIL_PARTS = ("upn", "pupil", "_voice", "password", "secret", "birth")


def is_sensitive(key: object) -> bool:
    k = str(key).lower()
    return k in PUPIL_KEYS or any(part in k for part in PUPIL_PARTS)


def scrub(value: Any) -> Any:
    """A copy of ``value`` with every sensitive key's value replaced, at any depth."""
    if isinstance(value, dict):
        return {k: FILTERED if is_sensitive(k) else scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(v) for v in value)
    return value


# Whatever these hold is dropped from a Sentry event, not just filtered by key: a
# form's body is pupil data; a query string carries searches by initials.
REQUEST_DROPPED = ("data", "cookies", "query_string")
REQUEST_HEADERS_DROPPED = ("cookie", "authorization", "x-csrftoken", "referer")


def before_send(event: dict, hint: dict | None = None) -> dict:
    """Sentry's hook: the event as it may leave the portal."""
    event = scrub(event)
    request = event.get("request")
    if isinstance(request, dict):
        for key in REQUEST_DROPPED:
            if key in request:
                request[key] = FILTERED
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                k: FILTERED if k.lower() in REQUEST_HEADERS_DROPPED else v
                for k, v in headers.items()
            }
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for crumb in (event.get("breadcrumbs") or {}).get("values") or []:
        # A breadcrumb of an SQL statement carries its parameters: the values typed.
        crumb.pop("data", None)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {k: v for k, v in user.items() if k == "id"}
    return event
