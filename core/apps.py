from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared API machinery"

    def ready(self) -> None:
        from core.checks import check_throttle_rates

        checks.register(check_throttle_rates)
