"""This app's endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("budgets", api.BudgetViewSet, basename="budget")
router.register("ledger", api.LedgerViewSet, basename="ledger-entry")
router.register("allocations", api.AllocationViewSet, basename="allocation")
router.register("adjustments", api.AdjustmentViewSet, basename="adjustment")
router.register("budget-overrides", api.OverrideViewSet, basename="budget-override")
router.register("request-money", api.RequestMoneyViewSet, basename="request-money")
router.register("payment-runs", api.PaymentRunViewSet, basename="payment-run")
router.register("term-dates", api.TermDatesViewSet, basename="term-dates")

urlpatterns = router.urls
