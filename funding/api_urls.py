"""This app's endpoints under /api/v1/."""

from rest_framework.routers import DefaultRouter

from .api import RateCardViewSet, RequestViewSet, StreamViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("requests", RequestViewSet, basename="funding-request")
router.register("streams", StreamViewSet, basename="funding-stream")
router.register("rate-card", RateCardViewSet, basename="rate-card")

urlpatterns = router.urls
