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

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import models

from accounts.tokens import password_fingerprint

PRINCIPAL_CACHE_SECONDS = 300
TOMBSTONE = "changed"


@dataclass(frozen=True)
class Principal:
    account: models.Model  # a Customer or a Django user, its password field left out
    password_fingerprint: str


def cache_key(model: type[models.Model], pk) -> str:
    return f"principal:{model._meta.label_lower}:{pk}"


def forget(model: type[models.Model], pk, created: bool = False) -> None:
    """Called on every save and delete of an account. A new row had no earlier version anyone
    could have cached (only a restored database could leave one under its id), so it is just
    cleared, and the account is cached from its first request."""
    if created:
        cache.delete(cache_key(model, pk))
    else:
        cache.set(cache_key(model, pk), TOMBSTONE, timeout=PRINCIPAL_CACHE_SECONDS)


def _from_database(model: type[models.Model], pk) -> Principal | None:
    try:
        account = model._default_manager.filter(pk=pk).first()
    except (TypeError, ValueError):  # not a number
        return None
    if account is None:
        return None
    fingerprint = password_fingerprint(account.password)
    del account.password  # never cached; read from the database again if anything asks for it
    return Principal(account, fingerprint)


def load(model: type[models.Model], pk) -> Principal | None:
    """The account `pk` of `model` (Customer or the user model) as a Principal, else None."""
    key = cache_key(model, pk)
    cached = cache.get(key)
    if isinstance(cached, Principal):
        return cached
    principal = _from_database(model, pk)
    if cached is None and principal is not None:
        cache.add(key, principal, timeout=PRINCIPAL_CACHE_SECONDS)
    return principal


def staff_model() -> type[models.Model]:
    return get_user_model()
