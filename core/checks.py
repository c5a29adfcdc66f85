"""System checks of the project's own settings (registered by core.apps), run by `manage.py
check`, `runserver` and `migrate`, so by `make run` and `make serve` before anything is served."""

import re

from django.conf import settings
from django.core.checks import Error

# DRF reads only the first letter of a period ("5/month" would mean 5 a minute) and
# django-ratelimit falls back to seconds on anything it does not know, so rates are checked here.
RATE = re.compile(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)")


def check_throttle_rates(app_configs, **kwargs) -> list[Error]:
    """THROTTLE_RATES names only known scopes, each with a rate such as '5/hour'."""
    errors = []
    unknown = set(settings.THROTTLE_RATES) - set(settings.DEFAULT_THROTTLE_RATES)
    if unknown:
        errors.append(
            Error(
                f"THROTTLE_RATES names unknown scopes {sorted(unknown)}.",
                hint=f"Known scopes: {sorted(settings.DEFAULT_THROTTLE_RATES)}.",
                id="core.E001",
            )
        )
    for scope, rate in settings.THROTTLE_RATES.items():
        if not isinstance(rate, str) or not RATE.fullmatch(rate):
            errors.append(
                Error(
                    f"THROTTLE_RATES[{scope!r}] = {rate!r} is not a rate.",
                    hint="Write a count and a period, e.g. '5/hour' or '10/minute'.",
                    id="core.E002",
                )
            )
    return errors
