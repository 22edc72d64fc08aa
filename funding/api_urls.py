"""This app's endpoints under /api/v1/."""

from rest_framework.routers import DefaultRouter

from .api import NeedBandViewSet, NoticeViewSet, RateCardViewSet, RequestViewSet, StreamViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("requests", RequestViewSet, basename="funding-request")
router.register("streams", StreamViewSet, basename="funding-stream")
router.register("rate-card", RateCardViewSet, basename="rate-card")
router.register("notices", NoticeViewSet, basename="funding-notice")
router.register("need-bands", NeedBandViewSet, basename="need-band")

urlpatterns = router.urls
