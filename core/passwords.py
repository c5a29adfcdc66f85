"""Accepted sign-ins, remembered for a while in each process.

Argon2 with Django's parameters costs about 95 ms of CPU a check on this kind of machine, which is
its purpose: a stolen hash is slow to attack. It also made every sign-in cost that much, so 16
clients signing in at once queued for over a second on two workers. Each process remembers, for
five minutes, the sign-ins it accepted, as a keyed digest of (stored hash, password): the same
credentials again are accepted after one HMAC.

Only accepted sign-ins are remembered. A password checked for an account that is then refused
(deactivated, or not staff) is not, and neither is a wrong one, so how long a refused sign-in takes
tells nothing about its password. What is remembered never leaves the process, is keyed by a random
per-process key (not the SECRET_KEY), and names the stored hash, so a changed password (a new hash
and salt) is checked in full.
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from django.utils.encoding import force_bytes


class AcceptedSignIns:
    def __init__(self, seconds: float = 300.0, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._expiry: dict[bytes, float] = {}  # digest of (stored hash, password) -> when it is forgotten

    def _digest(self, encoded: str, password: str) -> bytes:
        message = force_bytes(encoded) + b"\0" + force_bytes(password, errors="surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def recalls(self, encoded: str, password: str) -> bool:
        """Whether this password was accepted for this stored hash in the last `seconds`."""
        expiry = self._expiry.get(self._digest(encoded, password))
        return expiry is not None and self.clock() < expiry

    def remember(self, encoded: str, password: str) -> None:
        """Call only once the sign-in is accepted (password right and account allowed in)."""
        if len(self._expiry) >= self.max_entries:
            self._expiry.clear()
        self._expiry[self._digest(encoded, password)] = self.clock() + self.seconds


accepted_sign_ins = AcceptedSignIns()
