"""The Redis cache of the tests: django-redis as in production, except that clearing it removes
its own keys only.

django-redis's clear() is FLUSHDB: every key of the database. Test processes share a Redis
database (pytest-xdist's workers, other checkouts' runs on the same server), so each keeps its keys
under a key prefix of its own (NAMESPACE) and clearing a cache removes the keys under its prefix:
for "default" (prefix NAMESPACE) every alias's, as FLUSHDB of a database of its own would.
"""

import os

from django_redis.cache import RedisCache

NAMESPACE = f"mechanic_shop_tests:{os.getpid()}"


class NamespacedRedisCache(RedisCache):
    def clear(self) -> None:
        client = self.client.get_client(write=True)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
