"""What the schema says of the requests API that the serializers cannot say themselves."""

from __future__ import annotations

from .serializers import TOTAL_FIELDS, RequestSerializer

# Finance officers get RequestTotalsSerializer (money, no pupil) from the same operations,
# so nothing beyond the totals is required in the documented answer.
NOT_FOR_FINANCE = tuple(f for f in RequestSerializer.Meta.fields if f not in TOTAL_FIELDS)


def totals_only_for_finance(result, generator, request, public):
    """A drf-spectacular postprocessing hook (portal.settings SPECTACULAR_SETTINGS)."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in ("Request", "RequestList"):
        component = schemas.get(name)
        if not component:
            continue
        component["required"] = [
            f for f in component.get("required", []) if f not in NOT_FOR_FINANCE
        ]
        for f in NOT_FOR_FINANCE:
            prop = component.get("properties", {}).get(f)
            if prop is not None and "$ref" not in prop:
                described = prop.get("description", "")
                prop["description"] = f"{described} Not given to finance officers.".strip()
    return result
