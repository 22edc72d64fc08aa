from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Funding streams and requests"

    def ready(self) -> None:
        # Importing the services registers this app's guards and effects.
        from . import services  # noqa: F401
