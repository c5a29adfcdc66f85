"""Password hashing: Django's Argon2 hasher, remembering the checks that succeeded.

Argon2 with Django's parameters costs about 95 ms of CPU a check on this kind of machine, which
is its purpose: a stolen hash is slow to attack. It also makes every sign-in that cost, so 16
clients signing in at once queued for over a second on two workers. Each process remembers, for
five minutes, the (stored hash, password) pairs it has verified, as a keyed digest: the same
credentials again are accepted after one HMAC. What is remembered never leaves the process, is
keyed by a random per-process key (not the SECRET_KEY), and names the stored hash, so a changed
password (a new hash and salt) is checked in full. Failed checks are never remembered: every
guess still costs a full Argon2 check, and so does the first sign-in of any account.
"""

import hashlib
import hmac
import secrets
import time

from django.contrib.auth import hashers


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    """Django's Argon2 hasher (same algorithm name and parameters: stored hashes are unchanged)."""

    remember_seconds = 300.0
    remember_max_entries = 10_000
    clock = staticmethod(time.monotonic)
    _digest_key = secrets.token_bytes(32)
    _verified: dict[bytes, float] = {}  # digest of (stored hash, password) -> when it expires

    def verify(self, password, encoded):
        digest = hmac.new(
            self._digest_key, f"{encoded}\0{password}".encode("utf-8", "surrogatepass"), hashlib.sha256
        ).digest()
        now = self.clock()
        expires = self._verified.get(digest)
        if expires is not None and now < expires:
            return True
        if not super().verify(password, encoded):
            return False
        verified = type(self)._verified
        if len(verified) >= self.remember_max_entries:
            verified.clear()
        verified[digest] = now + self.remember_seconds
        return True
