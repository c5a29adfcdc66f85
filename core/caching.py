"""Cached reads with Django's `cache_page`, made fresh by every write.

`cache_page` keys a response by its URL and by the headers it varies on. Every cached response
varies on `Authorization` (set here, not left to the Django release), so the token is part of
the key: every caller has entries of their own and no caller is ever served another caller's
response. Views use it through `method_decorator`, so DRF has authenticated the caller, checked
permissions and counted rate limits before the cache is looked at.

What `cache_page` cannot do alone is forget a page when the data behind it changes. Each
resource ("customers", "mechanics", "tickets") therefore has a generation number in the cache,
part of the key prefix of its pages: a write bumps it (when it happens and after its transaction
commits) and every page cached before is never looked up again; they expire on their own.

Who bumps: the service that makes the write, explicitly, for each resource whose cached reads may
show it (tickets.services bumps "tickets"; mechanics.services.mechanic_update "mechanics" and
"tickets", whose pages show mechanics' names). Every write goes through a service, the admin's
too; the bulk loads of the demo data bump every resource themselves. There are no signal
receivers for it, so a write made around the services (a shell, raw SQL) shows when the cached
pages expire. tests/test_caching.py walks every write path and fails on one that leaves a cached
read stale.
"""

import time
from functools import wraps

from django.core.cache import cache
from django.db import transaction
from django.views.decorators.cache import cache_page
from django.views.decorators.vary import vary_on_headers


def _generation_key(resource: str) -> str:
    return f"generation:{resource}"


def generation(resource: str) -> int:
    """The resource's current generation. A missing counter (never set, or evicted) starts at
    the current time in microseconds, a value no earlier page can have been stored under."""
    key = _generation_key(resource)
    value = cache.get(key)
    if value is None:
        cache.add(key, time.time_ns() // 1000, timeout=None)
        value = cache.get(key)
    return value or 0


def bump(*resources: str) -> None:
    """Make every cached page of these resources stale: at once, and again when the current
    transaction commits, since a reader between the write and the commit still sees the old
    rows and may store them under the new generation."""

    def bump_now() -> None:
        for resource in resources:
            key = _generation_key(resource)
            try:
                cache.incr(key)
            except ValueError:  # no counter yet: the next reader starts a new one
                cache.delete(key)

    bump_now()
    transaction.on_commit(bump_now)


def cache_read(resource: str, seconds: int):
    """`cache_page(seconds)` under the resource's current generation. Decorate a ViewSet action
    with `method_decorator(cache_read(...), name="retrieve")`."""

    def decorator(view):
        per_caller_view = vary_on_headers("Authorization")(view)

        @wraps(view)
        def cached_view(request, *args, **kwargs):
            key_prefix = f"{resource}.{generation(resource)}"
            return cache_page(seconds, key_prefix=key_prefix)(per_caller_view)(request, *args, **kwargs)

        return cached_view

    return decorator
