"""Cached API reads that are never stale after a write.

Every cached response is stored under a key that includes the current *generation* of the data
it shows ("customers", "mechanics", "tickets"). A write bumps the generation, so the next read
misses and rebuilds. The bump happens at once (the writer's own transaction reads its changes)
and again on commit, so a reader that raced the transaction cannot leave its stale copy under
the generation that readers use after the commit.

The cache is an optimisation, never a dependency: when the store fails (unreachable, stalled),
reads are built from the database uncached and writes still succeed; see invalidate() for what
that costs.
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import ClassVar

from django.core.cache import cache
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.authentication import STAFF_ROLE, CachedPrincipal, TokenPrincipal, token_principal, verified_token
from core.cache import CACHE_ERRORS
from customers.models import Customer

logger = logging.getLogger(__name__)

CUSTOMERS = "customers"
MECHANICS = "mechanics"
TICKETS = "tickets"

_HEADERS_KEPT = ("X-Total-Count", "Link")


def _generation_key(namespace: str) -> str:
    return f"generation:{namespace}"


def _bump(namespaces: tuple[str, ...]) -> None:
    cache.set_many({_generation_key(ns): uuid.uuid4().hex for ns in namespaces}, timeout=None)


def _bump_or_log(namespaces: tuple[str, ...]) -> None:
    try:
        _bump(namespaces)
    except CACHE_ERRORS as exc:
        # The write itself stands: failing it (or, after its commit, its response) because the
        # cache is down would lose availability for no gain. The price: a response cached before
        # the outage can outlive it when the same store comes back with its data (a network
        # partition rather than a restart), and is then served stale for at most its TTL
        # (60 s for customers and mechanics, 10 s for the ticket list).
        logger.warning("cache unavailable; could not invalidate %s: %r", ", ".join(namespaces), exc)


def invalidate(*namespaces: str) -> None:
    """Make every cached read of these namespaces miss from now on."""
    _bump_or_log(namespaces)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump_or_log(namespaces))


def current_generation(namespace: str) -> str:
    key = _generation_key(namespace)
    generation = cache.get(key)
    if generation is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        generation = cache.get(key)
    return generation


# Only these query parameters change what a cached endpoint returns; keying on them alone keeps
# clients from filling the cache with arbitrary query strings.
_KEYED_PARAMS = ("page", "per_page")


def _response_key(namespace: str, request: HttpRequest) -> str:
    # The host is part of the key because cached Link headers are absolute URLs; the digest
    # keeps client-chosen values of any length within cache-key limits. `request` is Django's
    # or DRF's request: both have the same path, GET and host.
    meta = request.META
    # Everything the key is made of, as the client sent it (get_host() validates the host
    # against ALLOWED_HOSTS, so only validated hosts are remembered).
    seen_as = (namespace, request.scheme, meta.get("HTTP_HOST"), meta.get("HTTP_X_FORWARDED_HOST"),
               meta.get("SERVER_NAME"), meta.get("SERVER_PORT"), request.path, meta.get("QUERY_STRING", ""))
    key = _response_keys.get(seen_as)
    if key is None:
        key = _build_response_key(namespace, request)
        if len(_response_keys) >= _LEARNED_PATHS_MAX:
            _response_keys.clear()
        _response_keys[seen_as] = key
    return key


def _build_response_key(namespace: str, request: HttpRequest) -> str:
    path = request.path.rstrip("/") or "/"
    params = "&".join(f"{name}={request.GET.get(name, '')}" for name in _KEYED_PARAMS)
    target = f"{request.scheme}://{request.get_host()}{path}?{params}"
    digest = hashlib.sha256(target.encode("utf-8", "surrogatepass")).hexdigest()
    return f"response:{namespace}:{digest}"


# --- who may be served a stored response --------------------------------------------------------
# A stored response remembers the callers its view's permissions have let see it: "anyone",
# "staff" (all staff see the same API), or one customer. The middleware below serves the bytes
# directly only to those, so it never decides a permission the view did not decide first.
ANYONE = "anyone"
STAFF = "staff"


def audience_of(user) -> str:
    if user is None or not user.is_authenticated:
        return ANYONE
    return _customer_audience(user.pk) if isinstance(user, Customer) else STAFF


def _customer_audience(pk: int) -> str:
    return f"customer:{pk}"


@dataclass(frozen=True)
class StoredResponse:
    shared_when_cached: ClassVar[bool] = True  # immutable: the file cache may hand out one copy
    generation: str
    stored_at: float
    body: bytes
    headers: tuple[tuple[str, str], ...]
    audience: frozenset[str]

    def age(self, now: float) -> str:
        """The Age header of a hit served at `now`."""
        return str(max(0, int(now - self.stored_at)))

    def response(self, cache_status: str, now: float) -> HttpResponse:
        response = HttpResponse(self.body, headers=dict(self.headers))
        response["X-Cache"] = cache_status
        if cache_status == "hit":
            response["Age"] = self.age(now)
        return response


_response_keys: dict[tuple, str] = {}

# Where a request's WSGI environ names the stored response it was answered with, for core.wsgi,
# and where core.wsgi notes that find_stored() already turned the request down.
STORED_RESPONSE_ENVIRON_KEY = "mechanic_shop.stored_response"
DECLINED_ENVIRON_KEY = "mechanic_shop.stored_response_declined"


def mark_stored(request, key: str, entry: StoredResponse) -> None:
    request.META[STORED_RESPONSE_ENVIRON_KEY] = (key, entry)


# Paths whose view stored a response, with the namespace and the throttle scope of that view:
# the middleware looks in the cache only for these. Per process, learned on first use.
_LEARNED_PATHS_MAX = 10_000
_cacheable_paths: dict[str, tuple[str, str | None]] = {}


def _learn_path(path: str, namespace: str, throttle_scope: str | None) -> None:
    if len(_cacheable_paths) >= _LEARNED_PATHS_MAX:
        _cacheable_paths.clear()
    _cacheable_paths[path] = (namespace, throttle_scope)


def _renderer(request: Request):
    """The renderer content negotiation chose; the default one for a request that skipped it."""
    return getattr(request, "accepted_renderer", None) or api_settings.DEFAULT_RENDERER_CLASSES[0]()


def _render(response: Response, request: Request) -> bytes:
    return _renderer(request).render(response.data, getattr(request, "accepted_media_type", None), {"request": request})


def _store(key: str, entry: StoredResponse, ttl: float) -> None:
    try:
        cache.set(key, entry, timeout=max(1, int(ttl)))
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable; could not store %s: %r", key, exc)


def cached_response(
    request: Request,
    namespace: str,
    ttl: int,
    build: Callable[[], Response],
    clock: Callable[[], float] = time.time,
) -> HttpResponse:
    """Serve `build()`'s 200 response from the cache for `ttl` seconds, rendered once.

    Call it only after authentication, permissions and throttles have passed: the key holds
    no caller identity, so it may only cache what every allowed caller sees alike.

    When the cache fails, the response is built from the database (X-Cache: bypass).
    """
    view = request.parser_context.get("view") if request.parser_context else None
    scope = getattr(view, "throttle_scopes", {}).get(getattr(view, "action", None))
    audience = audience_of(request.user)
    try:
        generation = current_generation(namespace)
        key = _response_key(namespace, request)
        entry = cache.get(key)
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable; serving %s uncached: %r", request.path, exc)
        response = build()
        response["X-Cache"] = "bypass"
        return response
    _learn_path(request.path, namespace, scope)
    now = clock()
    if isinstance(entry, StoredResponse) and entry.generation == generation:
        if audience not in entry.audience:
            # This caller's permissions just passed: from now on the middleware may serve them too.
            extended = replace(entry, audience=entry.audience | {audience})
            _store(key, extended, ttl - (now - entry.stored_at))
        mark_stored(request, key, entry)
        return entry.response("hit", now)
    response = build()
    if response.status_code != 200:
        response["X-Cache"] = "miss"
        return response
    headers = {"Content-Type": _content_type(request), **getattr(view, "headers", {})}
    headers.update((name, response[name]) for name in _HEADERS_KEPT if response.has_header(name))
    entry = StoredResponse(generation, now, _render(response, request), tuple(headers.items()), frozenset({audience}))
    _store(key, entry, ttl)
    mark_stored(request, key, entry)
    return entry.response("miss", now)


def _content_type(request: Request) -> str:
    renderer = _renderer(request)
    return f"{renderer.media_type}; charset={renderer.charset}" if renderer.charset else renderer.media_type


# --- serving stored responses before the view runs ---------------------------------------------
_ACCEPTED = frozenset({"*/*", "application/json"})  # no header counts as */*; an empty one accepts nothing


@dataclass(frozen=True)
class StoredHit:
    """A stored response this request may be served, and who asked."""

    key: str
    entry: StoredResponse
    principal: TokenPrincipal | None
    cached_principal: CachedPrincipal | None

    def user(self):
        """The caller as the views would see them, loaded lazily: only the request log asks."""
        if self.principal is None:
            return AnonymousUser()
        return SimpleLazyObject(partial(self.cached_principal.instance, self.principal.role))


def find_stored(request: HttpRequest) -> StoredHit | None:
    """The stored response for this GET, if serving it skips nothing the view would check:
    the bearer token verifies, its principal is cached and still allowed in, the response is of
    the current generation and was already shown to this kind of caller, the view has no
    active rate limit, and content negotiation could only pick JSON. Otherwise None."""
    namespace, scope = _cacheable_paths.get(request.path, (None, None))
    if namespace is None or (scope is not None and settings.THROTTLING_ENABLED):
        return None
    meta = request.META
    if meta.get("HTTP_ACCEPT", "*/*").strip() not in _ACCEPTED:
        return None
    if meta.get("QUERY_STRING") and not set(request.GET) <= set(_KEYED_PARAMS):
        return None
    principal = None  # without a bearer token the API sees an anonymous caller, whatever the admin's session says
    header = meta.get("HTTP_AUTHORIZATION")
    if header is not None:
        scheme, _, raw_token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not raw_token or " " in raw_token.strip():
            return None
        try:
            token = verified_token(raw_token.strip().encode("iso-8859-1"))
        except UnicodeEncodeError:
            return None
        principal = token and token_principal(token)
        if principal is None:
            return None
    try:
        key = _response_key(namespace, request)
        generation_key = _generation_key(namespace)
        found = cache.get_many([key, generation_key] + ([principal.cache_key] if principal else []))
    except (DisallowedHost, *CACHE_ERRORS):
        return None
    entry = found.get(key)
    if not isinstance(entry, StoredResponse) or entry.generation != found.get(generation_key):
        return None
    if principal is None:
        audience, cached = ANYONE, None
    else:
        cached = found.get(principal.cache_key)
        if not principal.may_enter_with(cached):
            return None
        audience = STAFF if principal.role == STAFF_ROLE else _customer_audience(principal.pk)
    if audience not in entry.audience:
        return None
    return StoredHit(key, entry, principal, cached)


def serve_stored(request: HttpRequest, clock: Callable[[], float] = time.time) -> HttpResponse | None:
    """The stored response for this GET (see find_stored), or None."""
    hit = find_stored(request)
    if hit is None:
        return None
    request.user = hit.user()
    mark_stored(request, hit.key, hit.entry)
    return hit.entry.response("hit", clock())


class CachedReadMiddleware:
    """Answers cached GETs from the stored bytes, skipping URL resolution and the DRF view
    (see serve_stored). It sits below every middleware that shapes API responses (logging,
    error shape, security headers, Content-Length) and above the browser-session ones."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and request.path in _cacheable_paths and DECLINED_ENVIRON_KEY not in request.META:
            response = serve_stored(request)
            if response is not None:
                return response
        return self.get_response(request)
