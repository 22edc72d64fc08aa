"""How the API answers a refusal: one exception handler for every view.

A service refuses with a :class:`portal.errors.DomainError`; the handler answers
``{"detail": message}`` with the error's status (400, or 409 for a conflict with
shared data: not enough budget, a stale version), so no API action catches errors by
hand. Failed Basic credentials answer 401 with ``WWW-Authenticate`` (DRF would say 403,
because the first authenticator, the session, names no scheme).

The schema documents these answers on every operation (:func:`document_errors`,
a drf-spectacular postprocessing hook) with the one :class:`ErrorSerializer`.
"""

from __future__ import annotations

import re
from functools import cache

from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework import fields as drf_fields
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import DomainError
from .forms import field_name

BASIC_CHALLENGE = 'Basic realm="api"'


class ErrorSerializer(serializers.Serializer):
    """A refusal: ``detail`` says why. Invalid input answers a list of messages per field
    instead (``{"field": ["message"]}``; nested for lists of objects). A save based on an
    out-of-date ``version`` answers 409 with ``saved_version`` and ``changes``
    (``[{"field", "label", "yours", "saved"}]``: what differs from what you sent); nothing
    is saved."""

    detail = serializers.CharField(required=False)


REFUSED = OpenApiResponse(ErrorSerializer, description="Refused: the message says why.")


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@cache
def _drf_defaults() -> tuple[tuple[re.Pattern, str], ...]:
    """DRF's own message templates ("Ensure this field has no more than {max_length}
    characters."), each as a pattern that captures its figure, with its code."""
    found: dict[str, str] = {}
    classes = [drf_fields.Field, *_subclasses(drf_fields.Field), serializers.Serializer]
    for cls in classes:
        for code, message in getattr(cls, "default_error_messages", {}).items():
            found.setdefault(str(message), code)
    patterns = []
    for template, code in found.items():
        parts = re.split(r"\{\w*\}", template)
        body = r"(?P<limit>\S+?)".join(re.escape(p) for p in parts[:2])
        rest = "".join(r"\S+?" + re.escape(p) for p in parts[2:])
        patterns.append((re.compile(body + rest), code))
    return tuple(patterns)


def _plain(message: str, key: str | None) -> str:
    matches = ((p.fullmatch(str(message)), code) for p, code in _drf_defaults())
    found, code = next(((m, c) for m, c in matches if m), (None, None))
    if found is None:
        return str(message)
    name = field_name(key.replace("_", " ")) if key and key != "non_field_errors" else "this"
    limit = found.groupdict().get("limit")
    big = name[:1].upper() + name[1:]
    words = {
        "required": f"Enter {name}",
        "null": f"Enter {name}",
        "blank": f"Enter {name}",
        "max_length": f"{big} must be {limit} characters or fewer",
        "min_length": f"{big} must be {limit} characters or more",
        "max_value": f"{big} must be {limit} or less",
        "min_value": f"{big} must be {limit} or more",
        "max_digits": f"{big} is too big",
        "max_whole_digits": f"{big} is too big",
        "max_decimal_places": f"Enter {name} with at most {limit} decimal places",
        "invalid_choice": f"Choose {name} from the options given",
        "does_not_exist": f"There is no {name} with that id",
        "incorrect_type": f"Give {name} as an id, like 12",
        "not_a_list": f"Give {name} as a list",
        "empty": f"Give at least one of {name}",
        "not_a_dict": f"Give {name} as an object",
        "no_name": "Give the file a name",
        "max_string_length": f"{big} is too big",
        "overflow": f"{big} must be a real date",
    }
    return words.get(code, f"Check {name}: it is not in a form the portal can read")


def plain_api_errors(detail, key: str | None = None):
    """DRF's own messages in ``detail`` (a dict or list of messages, nested) replaced by
    the portal's, naming the field from its key; the portal's own messages kept."""
    if isinstance(detail, dict):
        return {k: plain_api_errors(v, k if isinstance(k, str) else key) for k, v in detail.items()}
    if isinstance(detail, list):
        return [plain_api_errors(v, key) for v in detail]
    return _plain(detail, key)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        # A stale version also says which version is saved and what differs (portal.versions).
        extra = getattr(exc, "api_data", None) or {}
        return Response({"detail": exc.message, **extra}, status=exc.status)
    if isinstance(exc, exceptions.ValidationError):
        response = drf_exception_handler(exc, context)
        response.data = plain_api_errors(response.data)
        return response
    if isinstance(exc, exceptions.ParseError):
        # Not the parser's own words ("JSON parse error - Expecting value: line 1 ...").
        exc.detail = "The request is not valid JSON: check its brackets, quotes and commas"
    if isinstance(exc, exceptions.AuthenticationFailed):
        # Only Basic raises it (a session is either there or not): challenge for it.
        exc.status_code = 401
        response = drf_exception_handler(exc, context)
        response["WWW-Authenticate"] = BASIC_CHALLENGE
        return response
    return drf_exception_handler(exc, context)


ERROR_COMPONENT = "Error"
ERROR_ANSWERS = {
    "400": "Invalid input, or refused by a rule: the message says why.",
    "401": "The Basic credentials were wrong.",
    "403": "Not signed in, or not allowed to do this.",
    "404": "Not found, or outside what you may see.",
}
CONFLICT_ANSWER = (
    "Refused: the budget or the data changed since you read it (a stale `version`: "
    "the answer gives the `saved_version` and the `changes`). Nothing was saved."
)


def document_errors(result, generator, request, public):
    """Every operation documents the error answers it can give, with one schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = {
        "type": "object",
        "description": ErrorSerializer.__doc__,
        "properties": {
            "detail": {"type": "string"},
            "saved_version": {
                "type": "integer",
                "description": "On a stale version: the version saved now.",
            },
            "changes": {
                "type": "array",
                "description": "On a stale version: each field that differs from what was sent.",
                "items": {
                    "type": "object",
                    "properties": {
                        k: {"type": "string"} for k in ("field", "label", "yours", "saved")
                    },
                },
            },
        },
        "additionalProperties": {},
    }
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            answers = dict(ERROR_ANSWERS)
            if method in ("post", "put", "patch", "delete"):
                answers["409"] = CONFLICT_ANSWER
            for code, description in answers.items():
                responses[code] = {
                    "description": responses.get(code, {}).get("description") or description,
                    "content": content,
                }
    return result
