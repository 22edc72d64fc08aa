from django.apps import AppConfig


class PanelsConfig(AppConfig):
    name = "panels"
    verbose_name = "Panels, meetings and decisions"

    def ready(self) -> None:
        # The panel rules join the request lifecycle: the "quorate" and
        # "not_recused" guards and the chair as an actor.
        from .services import register

        register()
