"""What the schema says of the requests API that the serializers cannot say themselves."""

from __future__ import annotations

# Finance officers get RequestTotalsSerializer (money, no pupil) from the same operations,
# so what only school and LA staff get is not required in the documented answer.
NOT_FOR_FINANCE = ("missing", "actions")


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
            if f in component.get("properties", {}):
                component["properties"][f]["description"] = "Not given to finance officers."
    return result
