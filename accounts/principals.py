"""Who a token names, without a database query on most requests.

Every authenticated request needs the caller's account: to know it still exists, is active,
is staff (for staff tokens), and has the password the token was issued under. The account is
kept in Django's cache for a few minutes as a `Principal`: the model instance without its
password hash, and the hash's fingerprint.

Writes must never leave an old copy behind. A save or delete of a customer or a user replaces
its entry with a tombstone (accounts/signals.py), and readers only ever *add* entries, which
fails while the tombstone is there: a reader that loaded the row just before the write cannot
put the old row back. Until the tombstone expires, that account is read from the database.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import caches
from django.db import models

from accounts.tokens import account_id, password_fingerprint
from core.errors import Unavailable

logger = logging.getLogger(__name__)

PRINCIPAL_CACHE_SECONDS = 300
TOMBSTONE = "changed"


def accounts_cache():
    return caches["default"]


@dataclass(frozen=True)
class Principal:
    account: models.Model  # a Customer or a Django user, its password field left out
    password_fingerprint: str


def cache_key(model: type[models.Model], pk) -> str:
    return f"principal:{model._meta.label_lower}:{pk}"


def forget(model: type[models.Model], pk, created: bool = False) -> None:
    """Called on every save and delete of an account. A new row had no earlier version anyone
    could have cached (only a restored database could leave one under its id), so it is just
    cleared, and the account is cached from its first request.

    A change of an existing account that cannot leave its tombstone is refused (503, and the
    transaction rolls back): otherwise a cache that comes back with its old data would let the
    tokens of a changed password or a deactivated account in again."""
    cache = accounts_cache()
    if created:
        try:
            cache.delete(cache_key(model, pk))
        except Exception:  # noqa: BLE001 - best effort: nobody can have cached a new account
            logger.warning("account cache unavailable; could not clear new account %s:%s", model.__name__, pk)
        return
    try:
        cache.set(cache_key(model, pk), TOMBSTONE, timeout=PRINCIPAL_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("account cache unavailable; refusing a change of account %s:%s: %r", model.__name__, pk, exc)
        raise Unavailable(
            "Accounts cannot be changed while the shared cache is unavailable; try again shortly."
        ) from exc


def _from_database(model: type[models.Model], pk: int) -> Principal | None:
    account = model._default_manager.filter(pk=pk).first()
    if account is None:
        return None
    fingerprint = password_fingerprint(account.password)
    del account.password  # never cached; read from the database again if anything asks for it
    return Principal(account, fingerprint)


def load(model: type[models.Model], pk, also: Sequence[str] = ()) -> Principal | None:
    """The account `pk` (a token's id claim) of `model` (Customer or the user model) as a
    Principal, else None."""
    return load_with(model, pk, also)[0]


def load_with(model: type[models.Model], pk, also: Sequence[str] = ()) -> tuple[Principal | None, dict | None]:
    """The account as `load` reads it, and the values of the keys `also` of the same cache, read
    in the same round trip (core.caching's version counters for the request's cached read);
    None for them when the cache cannot be read."""
    pk = account_id(pk)
    if pk is None:
        return None, None
    cache, key = accounts_cache(), cache_key(model, pk)
    try:
        values = cache.get_many([key, *also]) if also else {key: cache.get(key)}
    except Exception:  # noqa: BLE001 - the cache is down: read the database, store nothing
        values = None
    cached = TOMBSTONE if values is None else values.pop(key, None)
    if isinstance(cached, Principal):
        return cached, values
    principal = _from_database(model, pk)
    if cached is None and principal is not None:
        try:
            cache.add(key, principal, timeout=PRINCIPAL_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            pass
    return principal, values
