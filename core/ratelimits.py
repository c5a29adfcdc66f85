"""Login protection with django-ratelimit: per client address and per account.

Every attempt counts, successful or not, so a burst of parallel guesses cannot slip through
between a check and an increment. The counters live in the shared cache (atomic increments).
"""

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.exceptions import Throttled

from core.throttling import client_address


def enforce_login_limits(request, account: str) -> None:
    """Count one login attempt; raise Throttled (429) when the client or the account is over."""
    if not settings.THROTTLING_ENABLED:
        return
    rate = settings.THROTTLE_RATES["login"]
    keys = {
        "login:address": lambda group, req: client_address(req),
        "login:account": lambda group, req: account.strip().lower(),
    }
    waits = []
    for group, key in keys.items():
        usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
        if usage is not None and usage["should_limit"]:
            waits.append(max(1, usage["time_left"]))
    if waits:
        raise Throttled(wait=max(waits), detail="Too many login attempts. Try again later.")
