"""The portal's URLs plus the load test's floor (bench only)."""

from django.urls import path

from portal.urls import handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns

from .floor import triage_floor

urlpatterns = [path("bench/floor/", triage_floor, name="bench-floor"), *portal_urlpatterns]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
