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

from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import DomainError

BASIC_CHALLENGE = 'Basic realm="api"'


class ErrorSerializer(serializers.Serializer):
    """A refusal: ``detail`` says why. Invalid input answers a list of messages per field
    instead (``{"field": ["message"]}``; nested for lists of objects)."""

    detail = serializers.CharField(required=False)


REFUSED = OpenApiResponse(ErrorSerializer, description="Refused: the message says why.")


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        return Response({"detail": exc.message}, status=exc.status)
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
CONFLICT_ANSWER = "Refused: the budget or the data changed since you read it."


def document_errors(result, generator, request, public):
    """Every operation documents the error answers it can give, with one schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = {
        "type": "object",
        "description": ErrorSerializer.__doc__,
        "properties": {"detail": {"type": "string"}},
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
