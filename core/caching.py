"""Cached reads, made fresh by every write, answered in one cache round trip.

A cached read is a ViewSet action decorated with `cache_read(...)` (through `method_decorator`).
DRF has authenticated the caller, checked the view's permissions and counted rate limits before
the decorated action runs, so a 401, 403 or 429 never comes from the cache.

What an entry is kept under, and with (the "default" cache):
- its key: who shares it (every caller allowed to see the answer gets the same body, so by
  default all of them share one entry; a read whose body depends on the caller, a customer's own
  tickets, names its audience: `per_caller`), the negotiated renderer and the absolute URL (Link
  headers name the host);
- beside the body, the versions of what the answer shows: generation counters, one per resource
  ("customers", "mechanics", "tickets", "ticket-details") or per record ("ticket:42"). A write
  bumps them, and an entry is answered only while its versions are the current ones: the next
  read after a write builds the body again and replaces the entry.
Only 200s are stored. A read whose permission depends on the record (a customer may open only
their own ticket) stores the fields the view's object permission reads (`permission_fields`)
beside the body, and a hit checks them with the view's own permission classes first.

Round trips on a hit: one. ShopJWTAuthentication reads the caller's account (accounts/principals.py,
in the same cache) together with the keys this request's cached read needs (`prefetch_keys`,
`remember`): the versions and the entry itself, whose key names nothing the authentication does
not know yet. A read per caller, or a conditional GET whose tag is out of date, reads its entry
in a second round trip.

Who bumps: the service that makes the write, explicitly, for each resource whose cached reads may
show it (tickets' services bump "tickets" and the ticket's own version through
tickets.versions.bump_ticket; mechanics.services.mechanic_update "mechanics", "tickets" and
"ticket-details", whose pages show mechanics' names). Every write goes through a service, the
admin's too; the bulk loads of the demo data bump every resource themselves. There are no
signal receivers for it, so a write made around the services (a shell, raw SQL) shows when the
cached pages expire. tests/test_caching.py walks every write path and fails on one that leaves a
cached read stale.
"""

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from types import SimpleNamespace

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

# The request attribute holding what the authentication read for the request's cached read with
# the caller's account: key -> value (None: not found) for each key it asked for; None when the
# cache could not be read.
PREFETCHED = "cache_prefetched"
NOT_PREFETCHED = object()
# The request attribute holding the versions a cached read is answered under, read before its body.
VERSIONS_READ = "cache_versions_read"
# The request attribute holding the digest of its absolute URL, part of its entry's key.
URL_DIGEST = "cache_url_digest"
# The audience of an entry every caller allowed to see it shares.
SHARED = "all"


def _generation_key(name: str) -> str:
    return f"generation:{name}"


def generations(names: Iterable[str], known: dict | None = None) -> dict[str, int] | None:
    """The current generation of each name, from `known` (counter key -> value, as read with the
    caller's account) or the cache. A missing counter (never set, or evicted) starts at
    the current time in microseconds, a value no earlier entry can have been stored under. None
    when the cache cannot be read: the read is then answered without the cache."""
    keys = {name: _generation_key(name) for name in names}
    try:
        values = dict(known) if known is not None else cache.get_many(list(keys.values()))
        for key in keys.values():
            if values.get(key) is None:
                cache.add(key, time.time_ns() // 1000, timeout=None)
                values[key] = cache.get(key)
    except Exception:
        logger.warning("cache counters unavailable; answering without the cache", exc_info=True)
        return None
    if any(values.get(key) is None for key in keys.values()):
        return None
    return {name: values[key] for name, key in keys.items()}


def generation(resource: str) -> int:
    """The resource's current generation (0 while the cache cannot be read)."""
    return (generations([resource]) or {}).get(resource, 0)


def bump(*names: str) -> None:
    """Make every cached answer showing these resources or records stale: at once, and again
    when the current transaction commits, since a reader between the write and the commit still
    sees the old rows and may store them under the new generation."""

    def bump_now() -> None:
        for name in names:
            key = _generation_key(name)
            try:
                cache.incr(key)
            except ValueError:  # no counter yet: the next reader starts a new one
                cache.delete(key)
            except Exception:
                logger.warning("cache counters unavailable; could not bump %s", name, exc_info=True)

    bump_now()
    transaction.on_commit(bump_now)


@dataclass(frozen=True)
class CachedRead:
    versions: Callable  # (view) -> the generation names the answer shows
    per_caller: bool = False
    permission_fields: tuple[str, ...] = ()

    def names(self, view) -> list[str]:
        return list(self.versions(view))


def _cached_read_of(view) -> CachedRead | None:
    handler = getattr(view, getattr(view, "action", None) or "", None)
    return getattr(handler, "cached_read", None)


def _subject_key(request) -> str:
    # One per record (its path): what a conditional GET checks permissions with, without the body.
    return f"subject:{hashlib.sha256(request.path.encode()).hexdigest()}"


def prefetch_keys(request) -> list[str]:
    """The keys the cached read this (DRF) request is routed to will need, for the authentication
    to read together with the caller's account: the versions, and the entry when its key names
    no caller (a conditional GET: the stored permission subject of its record instead, with which
    the versions alone may answer 304); none for any other request."""
    if request.method != "GET":
        return []
    view = (getattr(request, "parser_context", None) or {}).get("view")
    read = _cached_read_of(view)
    if read is None:
        return []
    try:
        keys = [_generation_key(name) for name in read.names(view)]
    except (KeyError, ValueError):  # a path the action will refuse anyway
        return []
    if "If-None-Match" in request.headers:
        if read.permission_fields:
            keys.append(_subject_key(request))
    elif not read.per_caller:
        keys.append(_entry_key(request, SHARED))
    return keys


def remember(request, keys: list[str], values: dict | None) -> None:
    """Keep what the authentication read of `keys` (a get_many's answer, or None when the cache
    was unavailable)."""
    setattr(request, PREFETCHED, None if values is None else {key: values.get(key) for key in keys})


def _audience(request) -> str:
    user = request.user
    if not user.is_authenticated:
        return "anonymous"
    return f"{user._meta.label_lower}:{user.pk}"


def _entry_key(request, audience: str) -> str:
    # Every part that decides the body but its versions (kept in the entry); the URL hashed so
    # that keys stay short whatever its length, once per request (the prefetch and the read ask).
    renderer = getattr(getattr(request, "accepted_renderer", None), "format", "")
    url = getattr(request, URL_DIGEST, None)
    if url is None:
        url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        setattr(request, URL_DIGEST, url)
    return f"read:{audience}:{renderer}:{url}"


def _cached(key: str, prefetched):
    """The value under `key`: as read with the caller's account if it was, else from the cache
    (None when missing or unreadable: the read is then built from the database)."""
    if isinstance(prefetched, dict) and key in prefetched:
        return prefetched[key]
    try:
        return cache.get(key)
    except Exception:
        logger.warning("cache unavailable; reading from the database", exc_info=True)
        return None


def _keep(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("cache unavailable; answer not kept", exc_info=True)


def versions_read(request) -> dict[str, int] | None:
    """The versions (name -> value) the cached read of this request is answered under, read before
    its body was built or looked up; None when the request is no cached read or the cache could
    not be read. A validator (ETag) made from them can only be older than the body, never newer."""
    return getattr(request, VERSIONS_READ, None)


def _stored_subject(request, read: CachedRead, current: dict, prefetched) -> dict | None:
    """The permission fields of the record stored with the versions `current`, if a 200 stored
    them under these very versions (a write since then bumped them, and the fields may differ)."""
    if not read.permission_fields:
        return {}
    stored = _cached(_subject_key(request), prefetched)
    if not isinstance(stored, dict) or stored.get("versions") != current:
        return None
    return stored["fields"]


def _answer(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["content"], status=200)
    for header, value in entry["headers"]:
        response[header] = value
    response["Age"] = str(max(0, int(time.time() - entry["stored_at"])))
    return response


def cache_read(*versions: str | Callable, seconds: int, per_caller: bool = False, permission_fields=()):
    """Cache a ViewSet action's 200 answers under the current versions of `versions` (resource
    names, or callables taking the view and returning one, e.g. a record's "ticket:<pk>"). Use
    with `method_decorator(cache_read("mechanics", seconds=60), name="list")`."""

    def names(view) -> list[str]:
        return [name(view) if callable(name) else name for name in versions]

    read = CachedRead(names, per_caller, tuple(permission_fields))

    def decorator(action):
        @wraps(action)
        def cached_action(request, *args, **kwargs):
            view = request.parser_context["view"]
            if request.method != "GET":
                return action(request, *args, **kwargs)
            try:
                wanted = read.names(view)
            except (KeyError, ValueError):
                return action(request, *args, **kwargs)
            prefetched = getattr(request, PREFETCHED, NOT_PREFETCHED)
            if prefetched is None:  # the authentication found the cache unavailable
                return action(request, *args, **kwargs)
            current = generations(wanted, None if prefetched is NOT_PREFETCHED else prefetched)
            if current is None:
                return action(request, *args, **kwargs)
            setattr(request, VERSIONS_READ, current)
            # A conditional GET the versions alone answer (304): after the authentication and the
            # permission checks, before any body is read or built.
            unchanged = getattr(view, "not_modified", None)
            response = unchanged(request, current) if unchanged is not None else None
            if response is not None:
                subject = _stored_subject(request, read, current, prefetched)
                if subject is not None:  # else the record (or its stored answer) decides, as without the header
                    if read.permission_fields:
                        view.check_object_permissions(request, SimpleNamespace(**subject))
                    patch_vary_headers(response, ["Authorization"])
                    return response
            key = _entry_key(request, _audience(request) if read.per_caller else SHARED)
            entry = _cached(key, prefetched)
            if isinstance(entry, dict) and entry.get("versions") == current:
                if read.permission_fields:
                    view.check_object_permissions(request, SimpleNamespace(**entry["subject"]))
                return _answer(entry)
            response = action(request, *args, **kwargs)
            if response.status_code == 200 and hasattr(response, "add_post_render_callback"):
                subject = {field: response.data[field] for field in read.permission_fields}
                patch_vary_headers(response, ["Authorization"])

                def store(rendered):
                    headers = [(h, v) for h, v in rendered.items() if h.lower() not in ("age", "set-cookie")]
                    entry = {
                        "versions": current,
                        "content": rendered.content,
                        "headers": headers,
                        "subject": subject,
                        "stored_at": time.time(),
                    }
                    _keep(key, entry, seconds)
                    if read.permission_fields:
                        _keep(_subject_key(request), {"versions": current, "fields": subject}, seconds)

                response.add_post_render_callback(store)
            return response

        cached_action.cached_read = read
        return cached_action

    return decorator
