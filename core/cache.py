"""The default cache: files shared by every local process, with atomic add() and incr().

Django's FileBasedCache implements add() and incr() as a read followed by a write, so two
processes counting the same rate limit can both read 4 and both write 5. Holding an exclusive
file lock around those two steps makes them atomic across processes.

CACHE_ERRORS names what any store raises when it is unavailable.
"""

import os
import pickle
import re
import threading
import time
import zlib
from contextlib import contextmanager
from time import monotonic

from django.core.cache.backends.base import DEFAULT_TIMEOUT, MEMCACHE_MAX_KEY_LENGTH
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks

try:
    from redis.exceptions import RedisError
except ImportError:  # Redis is optional: without the client there are no Redis errors to catch
    RedisError = OSError

# What a cache call raises when the store is unreachable, stalled or broken: Redis's own errors
# (connection refused, timeouts, a server refusing writes) and OSError (sockets, the file store's
# disk). Callers that can do without the cache catch these; see core/caching.py.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)

_MEMCACHED_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_IMMUTABLE = (str, bytes, int, float, frozenset, type(None))


class LockedFileBasedCache(FileBasedCache):
    # Django's file cache lists the whole directory on every set() to decide whether to cull;
    # with a few thousand entries that listing cost more than the write (half of a ticket
    # create). Counting at most once a minute per process bounds the overshoot of MAX_ENTRIES
    # to what one process writes in a minute.
    cull_interval = 60.0
    _last_cull = float("-inf")

    # A read opens, unpickles and decompresses a file: three of them (a stored response, its
    # generation, the caller) cost a cached read a quarter of its throughput. Each cache instance
    # (one per thread) keeps what it read, and one stat() tells whether the file is still the
    # same: set() renames a new file over the old one, so a changed entry has another inode, mtime
    # or size. Inodes are reused and sizes repeat, so the mtime must tell two versions apart: a
    # file is only remembered once it is older than the coarsest timestamp granularity of common
    # filesystems ("racy git"); until then it is read every time.
    # Only immutable values are kept, because every later get() returns the same object.
    memo_max_entries = 10_000
    memo_min_age_ns = 2_000_000_000

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._memo: dict[str, tuple[tuple[int, int, int], float | None, object]] = {}
        self._files: dict[tuple[str, int | None], str] = {}
        self._lock_state = threading.local()

    def get(self, key, default=None, version=None):
        fname = self._key_to_file(key, version)
        try:
            stat = os.stat(fname)
        except FileNotFoundError:
            return default
        memo = self._memo.get(fname)
        if memo is not None and memo[0] == (stat.st_ino, stat.st_mtime_ns, stat.st_size):
            _, expiry, value = memo
            if expiry is None or expiry >= time.time():
                return value
        try:
            with open(fname, "rb") as f:
                stat = os.fstat(f.fileno())
                try:
                    expiry = pickle.load(f)
                except EOFError:
                    expiry = 0  # an empty file counts as expired, as in Django
                if expiry is not None and expiry < time.time():
                    f.close()
                    self._delete(fname)
                    return default
                value = pickle.loads(zlib.decompress(f.read()))
        except FileNotFoundError:
            return default
        settled = time.time() * 1e9 - stat.st_mtime_ns > self.memo_min_age_ns
        if settled and (isinstance(value, _IMMUTABLE) or getattr(type(value), "shared_when_cached", False)):
            if len(self._memo) >= self.memo_max_entries:
                self._memo.clear()
            self._memo[fname] = ((stat.st_ino, stat.st_mtime_ns, stat.st_size), expiry, value)
        return value

    def _key_to_file(self, key, version=None):
        # A pure function of the key (prefix, version, md5); remembered, as the values are.
        found = self._files.get((key, version))
        if found is None:
            if len(self._files) >= self.memo_max_entries:
                self._files.clear()
            found = self._files[(key, version)] = super()._key_to_file(key, version)
        return found

    def validate_key(self, key):
        # Django walks the key a character at a time in Python to warn about keys memcached
        # would refuse; a regex finds the same keys, and Django's check then words the warning.
        if len(key) > MEMCACHE_MAX_KEY_LENGTH or _MEMCACHED_UNSAFE.search(key):
            super().validate_key(key)

    def _cull(self):
        now = monotonic()
        if now - self._last_cull < self.cull_interval:
            return
        self._last_cull = now
        super()._cull()

    @contextmanager
    def _exclusive(self):
        # Re-entrant within a thread: add() and incr() call set(), which takes the lock too.
        if getattr(self._lock_state, "held", False):
            yield
            return
        self._createdir()
        with open(os.path.join(self._dir, "counters.lock"), "a+b") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            self._lock_state.held = True
            try:
                yield
            finally:
                self._lock_state.held = False
                locks.unlock(lock_file)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._exclusive():
            return super().add(key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # Under the lock, so a write cannot land between another process's add() checking that
        # the key is free and writing it: a tombstone (core/authentication.py) must not be
        # overwritten by a reader that loaded the row before the change.
        with self._exclusive():
            super().set(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        # Keeps the key's expiry, as Redis INCR does: Django's incr() re-sets the value with the
        # default timeout, which let a rate-limit counter vanish 5 minutes into an hour's window.
        with self._exclusive():
            fname = self._key_to_file(key, version)
            try:
                with open(fname, "rb") as f:
                    expiry = pickle.load(f)
                    value = pickle.loads(zlib.decompress(f.read()))
            except (FileNotFoundError, EOFError):
                raise ValueError(f"Key '{key}' not found") from None
            now = time.time()
            if expiry is not None and expiry <= now:
                self._delete(fname)
                raise ValueError(f"Key '{key}' not found")
            new_value = value + delta
            self.set(key, new_value, None if expiry is None else expiry - now, version)
            return new_value
