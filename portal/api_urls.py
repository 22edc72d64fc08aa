"""The portal's own endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("view-audit", api.ViewAuditViewSet, basename="view-audit")

urlpatterns = router.urls
