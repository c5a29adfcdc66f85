import re

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# DRF reads only the first letter of a period ("5/month" would mean 5 a minute) and
# django-ratelimit falls back to seconds on anything it does not know, so rates are checked here.
RATE = re.compile(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)")


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared API machinery"

    def ready(self) -> None:
        unknown = set(settings.THROTTLE_RATES) - set(settings.DEFAULT_THROTTLE_RATES)
        if unknown:
            raise ImproperlyConfigured(
                f"THROTTLE_RATES names unknown scopes {sorted(unknown)}; "
                f"known: {sorted(settings.DEFAULT_THROTTLE_RATES)}."
            )
        for scope, rate in settings.THROTTLE_RATES.items():
            if not RATE.fullmatch(rate):
                raise ImproperlyConfigured(
                    f"THROTTLE_RATES[{scope!r}] = {rate!r}; expected e.g. '5/hour' or '10/minute'."
                )
