"""Login protection with django-ratelimit: per client address and per account.

Every attempt counts, successful or not, so a burst of parallel guesses cannot slip through
between a check and an increment. The counters live in the shared cache (atomic increments).

When the cache is unavailable the login limits fail closed: sign-in answers 503 with
Retry-After until the cache is back. Uncounted logins would let a password-guessing run go
unthrottled for as long as it can keep the cache down; a short sign-in outage is the smaller
harm (tokens already issued keep working, since they need no cache).
"""

import logging

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework import status
from rest_framework.exceptions import APIException, Throttled

from core.cache import CACHE_ERRORS
from core.throttling import client_address

logger = logging.getLogger(__name__)


class LoginUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Sign-in is temporarily unavailable; try again shortly."
    default_code = "login_unavailable"
    wait = 10  # seconds, sent as Retry-After


def enforce_login_limits(request, account: str) -> None:
    """Count one login attempt; raise Throttled (429) when the client or the account is over,
    LoginUnavailable (503) when the attempt cannot be counted."""
    if not settings.THROTTLING_ENABLED:
        return
    rate = settings.THROTTLE_RATES["login"]
    keys = {
        "login:address": lambda group, req: client_address(req),
        "login:account": lambda group, req: account.strip().lower(),
    }
    waits = []
    for group, key in keys.items():
        try:
            usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
        except CACHE_ERRORS as exc:
            logger.warning("cache unavailable; refusing sign-in: %r", exc)
            raise LoginUnavailable() from exc
        if usage is not None and usage["should_limit"]:
            waits.append(max(1, usage["time_left"]))
    if waits:
        raise Throttled(wait=max(waits), detail="Too many login attempts. Try again later.")
