from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Cluster budgets and the ledger"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
