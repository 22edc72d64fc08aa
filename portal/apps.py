from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal: audit and notifications"

    def ready(self) -> None:
        from . import logs

        logs.connect_signals()
