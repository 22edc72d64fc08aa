"""This app's endpoints under /api/v1/."""

from rest_framework.routers import DefaultRouter

from .api import (
    AgendaItemViewSet,
    AppealViewSet,
    ChairsActionViewSet,
    DecisionViewSet,
    MeetingViewSet,
    MinutesViewSet,
    PanelViewSet,
    RequestReviewViewSet,
)
from .letters_api import FollowUpViewSet, LetterTemplateViewSet, LetterViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("panels", PanelViewSet, basename="panel")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("minutes", MinutesViewSet, basename="minutes")
router.register("agenda-items", AgendaItemViewSet, basename="agenda-item")
router.register("decisions", DecisionViewSet, basename="decision")
router.register("appeals", AppealViewSet, basename="appeal")
router.register("chairs-actions", ChairsActionViewSet, basename="chairs-action")
router.register("follow-ups", FollowUpViewSet, basename="follow-up")
router.register("letters", LetterViewSet, basename="letter")
router.register("letter-templates", LetterTemplateViewSet, basename="letter-template")
# Only /requests/<pk>/review/: the rest of /requests/ is the funding app's.
router.register("requests", RequestReviewViewSet, basename="request-outcome")

urlpatterns = router.urls
