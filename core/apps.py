from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared API machinery"

    def ready(self) -> None:
        from core.db import skip_query_log_reset

        skip_query_log_reset()
        from core import checks  # noqa: F401  (registers the system checks)
        from core import schema  # noqa: F401  (registers the OpenAPI auth extensions)
        from core import signals  # noqa: F401  (keeps the principal cache current)
        from core.throttling import parse_rate

        unknown = set(settings.THROTTLE_RATES) - set(settings.DEFAULT_THROTTLE_RATES)
        if unknown:
            raise ImproperlyConfigured(
                f"THROTTLE_RATES names unknown scopes {sorted(unknown)}; "
                f"known: {sorted(settings.DEFAULT_THROTTLE_RATES)}."
            )
        for scope, rate in settings.THROTTLE_RATES.items():
            try:
                parse_rate(rate)
            except ValueError as exc:
                raise ImproperlyConfigured(f"THROTTLE_RATES[{scope!r}]: {exc}") from exc
