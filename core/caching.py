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

from django.core.cache import cache
from django.db import transaction
from rest_framework.request import Request
from rest_framework.response import Response

from core.cache import CACHE_ERRORS

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


def _response_key(namespace: str, request: Request) -> str:
    # The host is part of the key because cached Link headers are absolute URLs; the digest
    # keeps client-chosen values of any length within cache-key limits.
    path = request.path.rstrip("/") or "/"
    params = "&".join(f"{name}={request.query_params.get(name, '')}" for name in _KEYED_PARAMS)
    target = f"{request.scheme}://{request.get_host()}{path}?{params}"
    digest = hashlib.sha256(target.encode("utf-8", "surrogatepass")).hexdigest()
    return f"response:{namespace}:{current_generation(namespace)}:{digest}"


def cached_response(
    request: Request,
    namespace: str,
    ttl: int,
    build: Callable[[], Response],
    clock: Callable[[], float] = time.time,
) -> Response:
    """Serve `build()`'s 200 response from the cache for `ttl` seconds.

    Call it only after authentication, permissions and throttles have passed: the key holds
    no caller identity, so it may only cache what every allowed caller sees alike.

    When the cache fails, the response is built from the database (X-Cache: bypass).
    """
    try:
        key = _response_key(namespace, request)
        entry = cache.get(key)
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable; serving %s uncached: %r", request.path, exc)
        response = build()
        response["X-Cache"] = "bypass"
        return response
    if entry is not None:
        stored_at, data, headers = entry
        response = Response(data, headers=headers)
        response["X-Cache"] = "hit"
        response["Age"] = str(max(0, int(clock() - stored_at)))
        return response
    response = build()
    if response.status_code == 200:
        headers = {name: response[name] for name in _HEADERS_KEPT if response.has_header(name)}
        try:
            cache.set(key, (clock(), response.data, headers), timeout=ttl)
        except CACHE_ERRORS as exc:
            logger.warning("cache unavailable; could not store %s: %r", request.path, exc)
    response["X-Cache"] = "miss"
    return response
