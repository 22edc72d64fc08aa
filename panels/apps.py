from django.apps import AppConfig


class PanelsConfig(AppConfig):
    name = "panels"
    verbose_name = "Panels, meetings and decisions"

    def ready(self) -> None:
        # The panel rules join the request lifecycle: the "quorate" and
        # "not_recused" guards and the chair as an actor.
        from funding.policy import register_papers_reader

        from .policy import can_read_request_papers
        from .services import register

        register()
        # Panel members read the supporting documents of the items they hear.
        register_papers_reader(can_read_request_papers)
