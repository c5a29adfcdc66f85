"""Sign-in limits, counted with django-ratelimit in the shared "limits" cache. In core, as the
sign-in endpoints (accounts) and a customer's password change (customers) both apply them.

Brute force stays bounded without handing anyone a button that locks a customer out:
- per client address, every attempt (`login`, 10/minute), counted before the password is
  checked, so a burst of parallel guesses cannot slip in between a check and an increment;
- per account from one address, failures (`login`, 10/minute);
- per account over all addresses, failures (`login_account`, 100/hour): only many addresses
  together reach it, and it never applies on an address the account has signed in from before
  (its owner's own), so other people's failures cannot lock the owner out there.
IPv6 clients are counted per /64 network, the block one subscriber usually holds.

When the cache is unavailable sign-in fails closed (503 with Retry-After): uncounted sign-ins
would allow unlimited guessing. Tokens already issued keep working.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import caches
from django_ratelimit.core import get_usage
from rest_framework import status
from rest_framework.exceptions import APIException, Throttled

from core.text import normalize_email
from core.throttling import client_address

logger = logging.getLogger(__name__)

KNOWN_ADDRESS_SECONDS = 30 * 86400


class SignInUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Sign-in is temporarily unavailable; try again shortly."
    default_code = "sign_in_unavailable"
    wait = 10  # seconds, sent as Retry-After


class TooManySignIns(Throttled):
    default_detail = "Too many sign-in attempts. Try again later."


def _generation_key(account: str) -> str:
    return f"login:known-generation:{hashlib.sha256(account.encode()).hexdigest()}"


def forget_known_addresses(account: str) -> None:
    """After a change to an account (a new password above all), no address counts as its
    owner's own until the account signs in from it again."""
    cache, key = caches["limits"], _generation_key(normalize_email(account))
    try:
        cache.incr(key)
    except ValueError:  # never signed in, or expired: start a generation
        cache.set(key, 1, timeout=KNOWN_ADDRESS_SECONDS)


class SignInGuard:
    """One sign-in attempt under the limits: `check()` before the password is checked, then
    `failed()` or `succeeded()`. With THROTTLING_ENABLED off it counts nothing."""

    def __init__(self, request, account: str):
        self.request = request
        self.address = client_address(request)
        # Keyed as sign-in looks the account up (NFKC, no invisible characters, lower case), so
        # "VICTIM@…", "vic\u200btim@…" and full-width spellings all count against one account.
        self.account = normalize_email(account)
        self.enabled = settings.THROTTLING_ENABLED

    def _usage(self, group: str, value: str, rate: str, *, increment: bool) -> dict | None:
        try:
            usage = get_usage(self.request, group=group, key=lambda *_: value, rate=rate, increment=increment)
        except Exception as exc:
            logger.warning("rate-limit store unavailable; refusing sign-in: %r", exc)
            raise SignInUnavailable() from exc
        if usage is not None and increment and usage["count"] == 0:
            # django-ratelimit's answer when the store took no count (an incr that failed
            # without raising): not the caller's fault, so 503 rather than 429.
            logger.warning("rate-limit store did not count a sign-in attempt; refusing it")
            raise SignInUnavailable()
        return usage

    def _known_key(self) -> str:
        generation = caches["limits"].get(_generation_key(self.account), 0)
        digest = hashlib.sha256(f"{self.account}|{self.address}|{generation}".encode()).hexdigest()
        return f"login:known:{digest}"

    def _is_known_address(self) -> bool:
        try:
            return bool(caches["limits"].get(self._known_key()))
        except Exception as exc:
            raise SignInUnavailable() from exc

    def _failure_counters(self) -> list[tuple[str, str, str]]:
        counters = [("login:account-address", f"{self.account}|{self.address}", settings.THROTTLE_RATES["login"])]
        if not self._is_known_address():
            counters.append(("login:account", self.account, settings.THROTTLE_RATES["login_account"]))
        return counters

    def check(self) -> None:
        """Count the attempt per address; TooManySignIns (429) when the address or the account
        is over a limit, SignInUnavailable (503) when the attempt cannot be counted."""
        if not self.enabled:
            return
        waits = []
        attempts = self._usage("login:address", self.address, settings.THROTTLE_RATES["login"], increment=True)
        if attempts is not None and attempts["should_limit"]:
            waits.append(attempts["time_left"])
        for group, value, rate in self._failure_counters():
            failures = self._usage(group, value, rate, increment=False)
            if failures is not None and failures["count"] >= failures["limit"]:
                waits.append(failures["time_left"])
        if waits:
            raise TooManySignIns(wait=max(1, *waits))

    def failed(self) -> None:
        if self.enabled:
            for group, value, rate in self._failure_counters():
                self._usage(group, value, rate, increment=True)

    def succeeded(self) -> None:
        if self.enabled:
            try:
                caches["limits"].set(self._known_key(), True, timeout=KNOWN_ADDRESS_SECONDS)
            except Exception as exc:
                raise SignInUnavailable() from exc
