"""Sign-in limits, counted with django-ratelimit in the shared "limits" cache.

Three counters, so brute force stays bounded without giving anyone a button that locks a
customer out of their own account:
- per client address, over all accounts (`login`, 10/minute): one machine guessing many accounts;
- per account from one address (`login`, 10/minute): one machine guessing one account;
- per account over all addresses (`login_account`, 100/hour): only a distributed attack reaches
  it, and ten failures from elsewhere never block the owner signing in from their own address.
Every attempt counts, successful or not, before the password is checked, so a burst of
parallel guesses cannot slip in between a check and an increment.

When the cache is unavailable sign-in fails closed (503 with Retry-After): uncounted sign-ins
would allow unlimited guessing. Tokens already issued keep working.
"""

import logging

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework import status, throttling
from rest_framework.exceptions import APIException, Throttled

from core.text import normalize_email

logger = logging.getLogger(__name__)


class SignInUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Sign-in is temporarily unavailable; try again shortly."
    default_code = "sign_in_unavailable"
    wait = 10  # seconds, sent as Retry-After


class TooManySignIns(Throttled):
    default_detail = "Too many sign-in attempts. Try again later."


def client_address(request) -> str:
    """The client's address as the API's throttles see it (NUM_PROXIES, X-Forwarded-For)."""
    return throttling.BaseThrottle().get_ident(request) or ""


def sign_in_attempt(request, account: str) -> int | None:
    """Count one sign-in attempt for `account` (a username or an email). Returns None when it
    may go ahead, else the seconds until it may; raises SignInUnavailable when the attempt
    cannot be counted."""
    if not settings.THROTTLING_ENABLED:
        return None
    address = client_address(request)
    # Keyed as sign-in looks the account up (NFKC, no invisible characters, lower case), so
    # "VICTIM@…", "vic\u200btim@…" and full-width spellings all count against one account.
    account = normalize_email(account)
    counters = [
        ("login:address", address, settings.THROTTLE_RATES["login"]),
        ("login:account-address", f"{account}|{address}", settings.THROTTLE_RATES["login"]),
        ("login:account", account, settings.THROTTLE_RATES["login_account"]),
    ]
    waits = []
    for group, value, rate in counters:
        try:
            usage = get_usage(request, group=group, key=lambda _group, _request, value=value: value, rate=rate, increment=True)
        except Exception as exc:  # noqa: BLE001 - any failure of the counter store: fail closed
            logger.warning("rate-limit store unavailable; refusing sign-in: %r", exc)
            raise SignInUnavailable() from exc
        if usage is not None and usage["count"] == 0:
            # django-ratelimit's answer when the store took no count (an incr that failed
            # without raising): not the caller's fault, so 503 rather than 429.
            logger.warning("rate-limit store did not count a sign-in attempt; refusing it")
            raise SignInUnavailable()
        if usage is not None and usage["should_limit"]:
            waits.append(max(1, usage["time_left"]))
    return max(waits) if waits else None


def enforce_sign_in_limits(request, account: str) -> None:
    """sign_in_attempt for the API: 429 with Retry-After when over a limit."""
    if (wait := sign_in_attempt(request, account)) is not None:
        raise TooManySignIns(wait=wait)
