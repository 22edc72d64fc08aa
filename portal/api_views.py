"""What the API's viewsets share beyond DRF's own mixins."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed


class SavedThroughService:
    """POST and PATCH (never PUT) through the viewset's ``_save(request, obj=None,
    status_code=200)``, which calls the same service as the page: put before DRF's
    ``CreateModelMixin`` and ``UpdateModelMixin``, which still route the methods."""

    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        return self._save(request, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise MethodNotAllowed(request.method)
        return self._save(request, self.get_object())
