"""Every rate limit of the API, counted by django-ratelimit (`get_usage`) in the shared "limits"
cache. README "Rate limits" says why this one mechanism and not DRF's own throttle history.

A counter is one cache key per (group, counted value, window), made with `cache.add` and then
incremented atomically (Redis INCR, diskcache's transaction), so concurrent requests in every
process and server that shares the cache are counted exactly: 50 concurrent requests against a
limit of 5 let exactly 5 through. Windows are fixed; django-ratelimit shifts the windows of each
counted value by an offset of its own, so not every counter resets at once, and `Retry-After`
says when the caller's next window begins.

Two uses:
- `ScopedRateThrottle`, a DRF throttle class, for limits on views' actions. A view names the
  scope of each action it limits; the scope's rate is settings.THROTTLE_RATES[scope]:

      throttle_classes = [ScopedRateThrottle]
      throttle_scopes = {"list": "tickets_list", "create": RateLimit("signup", key=address_unless_staff)}

  A scope is counted per signed-in caller, else per client address, unless its RateLimit says
  otherwise. These limits protect capacity and fail open: when the cache is unavailable the
  request is served, uncounted, as a cache outage should not become an API outage.
- `SignInGuard`, the sign-in limits, around every password check (both sign-in endpoints, the
  admin's login, a customer's current password). They guard passwords and fail closed: 503
  with Retry-After when an attempt cannot be counted.

IPv6 clients are counted per /64 network, the block one subscriber usually holds.
"""

import hashlib
import ipaddress
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django_ratelimit.core import get_usage
from rest_framework import status, throttling
from rest_framework.exceptions import APIException, Throttled

from core.text import normalize_email

logger = logging.getLogger(__name__)


class LimitsUnavailable(Exception):
    """The limits' cache did not count (it failed, or took no count)."""


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    seconds_left: int  # until the next window begins: what Retry-After says

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def count(request, *, group: str, value: str, rate: str, increment: bool = True) -> Usage | None:
    """Count one request of `value` (who is counted) against `rate` ("5/hour") in `group`, or
    with `increment` off only read the count. None when django-ratelimit is switched off
    (RATELIMIT_ENABLE); LimitsUnavailable when the cache does not count."""
    try:
        usage = get_usage(request, group=group, key=lambda _group, _request: value, rate=rate, increment=increment)
    except Exception as exc:  # whatever the cache raises, nothing was counted
        raise LimitsUnavailable(repr(exc)) from exc
    if usage is None:
        return None
    if increment and usage["count"] == 0:
        # django-ratelimit's answer when the cache took no count (an incr that failed without
        # raising): nothing was counted.
        raise LimitsUnavailable("the cache took no count")
    # time_left is 0 in a window's last second (django-ratelimit counts up to its end second
    # inclusive): the next window begins one second after it ends.
    return Usage(count=usage["count"], limit=usage["limit"], seconds_left=usage["time_left"] + 1)


# --- who is counted -------------------------------------------------------------------------------


def client_address(request) -> str:
    """The client's address as DRF sees it (NUM_PROXIES, X-Forwarded-For), an IPv6 address as
    its /64 network, an IPv4-mapped IPv6 address as the IPv4 address."""
    address = throttling.BaseThrottle().get_ident(request) or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, 64), strict=False))


def account_key(user) -> str:
    """A signed-in account as a counted value: a staff user and a customer with the same id
    are two callers."""
    return f"{user._meta.model_name}:{user.pk}"


def by_caller(request) -> str:
    """The signed-in customer or staff user, else the client address."""
    user = request.user
    if user is not None and user.is_authenticated:
        return account_key(user)
    return by_address(request)


def by_address(request) -> str:
    return f"address:{client_address(request)}"


def caller_unless_staff(request) -> str | None:
    """The signed-in customer (else the client address), for every caller but staff (not counted)."""
    return None if request.user.is_staff else by_caller(request)


def address_unless_staff(request) -> str | None:
    """The client address, for every caller but staff (not counted). A customer's token does
    not lift such a limit: anyone can get one by signing up once."""
    return None if request.user.is_staff else by_address(request)


@dataclass(frozen=True)
class RateLimit:
    """One limit on a view's action: `scope` names its rate in settings.THROTTLE_RATES; `key`
    says who is counted (None: this request is not counted)."""

    scope: str
    key: Callable[..., str | None] = by_caller


# --- limits on views' actions ---------------------------------------------------------------------


def limits_of(view) -> list[RateLimit]:
    """The limits on the view's current action: `view.throttle_scopes[action]`, a scope name,
    a RateLimit or a sequence of them."""
    declared = getattr(view, "throttle_scopes", {}).get(getattr(view, "action", None))
    if declared is None:
        return []
    if isinstance(declared, (str, RateLimit)):
        declared = [declared]
    return [RateLimit(limit) if isinstance(limit, str) else limit for limit in declared]


class ScopedRateThrottle(throttling.BaseThrottle):
    """DRF's throttle hook, counting each limit of the view's action (`view.throttle_scopes`)
    with django-ratelimit. Over any of them: 429 with the longest Retry-After."""

    def allow_request(self, request, view) -> bool:
        self.waits: list[int] = []
        if not settings.THROTTLING_ENABLED:
            return True
        for limit in limits_of(view):
            value = limit.key(request)
            if value is None:
                continue
            try:
                # The rate is read at request time (DRF binds its rates at import), so settings can change it.
                usage = count(request, group=limit.scope, value=value, rate=settings.THROTTLE_RATES[limit.scope])
            except LimitsUnavailable as exc:
                logger.warning("rate-limit store unavailable; %s not counted: %s", limit.scope, exc)
                continue
            if usage is not None and usage.exceeded:
                self.waits.append(usage.seconds_left)
        return not self.waits

    def wait(self) -> float | None:
        return max(self.waits, default=None)


# --- the sign-in limits ---------------------------------------------------------------------------
#
# Brute force stays bounded without handing anyone a button that locks a customer out:
# - per client address, every attempt (`login`, 10/minute), counted before the password is
#   checked, so a burst of parallel guesses cannot slip in between a check and an increment;
# - per account from one address, failures (`login`, 10/minute);
# - per account over all addresses, failures (`login_account`, 100/hour): only many addresses
#   together reach it, and it never applies on an address the account has signed in from before
#   (its owner's own), so other people's failures cannot lock the owner out there. Elsewhere they
#   can, for the rest of the hour (README "Security"): `clear_sign_in_failures`, called when the
#   owner completes a password reset, lifts it.
# Tokens already issued keep working when the cache is unavailable.
#
# Both things kept per account, the addresses it signed in from and its failure counters, are
# named under a generation of the account's: a new generation forgets every address, or clears
# every failure counter, at once, without knowing which addresses there were.

KNOWN_ADDRESS_SECONDS = 30 * 86400
# A generation outlives every flag and counter made under the one before it (the longest is a
# known address's), so one that expires falls back to a default nothing is kept under any more.
GENERATION_SECONDS = KNOWN_ADDRESS_SECONDS


class SignInUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Sign-in is temporarily unavailable; try again shortly."
    default_code = "sign_in_unavailable"
    wait = 10  # seconds, sent as Retry-After


class TooManySignIns(Throttled):
    default_detail = "Too many sign-in attempts. Try again later."


KNOWN, FAILURES = "known", "failures"


def _generation_key(kind: str, account: str) -> str:
    return f"login:{kind}-generation:{hashlib.sha256(account.encode()).hexdigest()}"


def _new_generation(kind: str, account: str) -> None:
    # Random, not a counter: a counter that expired would start again at 1 and could come back
    # to a generation whose flags or counters still live.
    key = _generation_key(kind, normalize_email(account))
    caches["limits"].set(key, secrets.token_hex(8), timeout=GENERATION_SECONDS)


def forget_known_addresses(account: str) -> None:
    """After a change to an account (a new password above all), no address counts as its
    owner's own until the account signs in from it again."""
    _new_generation(KNOWN, account)


def clear_sign_in_failures(account: str) -> None:
    """Clear the account's sign-in failure counts: per account over all addresses, and per
    account from each address. For a completed password reset: whoever chose the new password
    reads the account's email, so the failures of people guessing the old one no longer stand
    between the owner and their account. The per-address limits are not the account's and stay.
    Raises what the limits' cache raises when it fails."""
    _new_generation(FAILURES, account)


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

    def _usage(self, group: str, value: str, rate: str, *, increment: bool) -> Usage | None:
        try:
            return count(self.request, group=group, value=value, rate=rate, increment=increment)
        except LimitsUnavailable as exc:
            logger.warning("rate-limit store unavailable; refusing sign-in: %s", exc)
            raise SignInUnavailable() from exc

    def _generations(self) -> dict[str, str | None]:
        """The account's current generations (None: it never had one of that kind). Read again
        at each step: a sign-in that saves the account (the admin's, recording last_login) starts
        a new generation of known addresses between check() and succeeded()."""
        keys = {kind: _generation_key(kind, self.account) for kind in (KNOWN, FAILURES)}
        try:
            found = caches["limits"].get_many(list(keys.values()))
        except Exception as exc:
            raise SignInUnavailable() from exc
        return {kind: found.get(key) for kind, key in keys.items()}

    def _known_key(self, generations: dict[str, str | None]) -> str:
        generation = generations[KNOWN] or 0
        digest = hashlib.sha256(f"{self.account}|{self.address}|{generation}".encode()).hexdigest()
        return f"login:known:{digest}"

    def _is_known_address(self, generations: dict[str, str | None]) -> bool:
        try:
            return bool(caches["limits"].get(self._known_key(generations)))
        except Exception as exc:
            raise SignInUnavailable() from exc

    def _failure_counters(self) -> Sequence[tuple[str, str, str]]:
        generations = self._generations()
        # The generation goes into the group, not the counted value: django-ratelimit places an
        # account's windows by the counted value, which clearing must not move.
        suffix = "" if generations[FAILURES] is None else f":{generations[FAILURES]}"
        counters = [
            (f"login:account-address{suffix}", f"{self.account}|{self.address}", settings.THROTTLE_RATES["login"])
        ]
        if not self._is_known_address(generations):
            counters.append((f"login:account{suffix}", self.account, settings.THROTTLE_RATES["login_account"]))
        return counters

    def check(self) -> None:
        """Count the attempt per address; TooManySignIns (429) when the address or the account
        is over a limit, SignInUnavailable (503) when the attempt cannot be counted."""
        if not self.enabled:
            return
        waits = []
        attempts = self._usage("login:address", self.address, settings.THROTTLE_RATES["login"], increment=True)
        if attempts is not None and attempts.exceeded:
            waits.append(attempts.seconds_left)
        for group, value, rate in self._failure_counters():
            failures = self._usage(group, value, rate, increment=False)
            if failures is not None and failures.count >= failures.limit:
                waits.append(failures.seconds_left)
        if waits:
            raise TooManySignIns(wait=max(waits))

    def failed(self) -> None:
        if self.enabled:
            for group, value, rate in self._failure_counters():
                self._usage(group, value, rate, increment=True)

    def succeeded(self) -> None:
        if self.enabled:
            try:
                caches["limits"].set(self._known_key(self._generations()), True, timeout=KNOWN_ADDRESS_SECONDS)
            except Exception as exc:
                raise SignInUnavailable() from exc
