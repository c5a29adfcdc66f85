"""The WSGI application the server runs: Django's, with warmed cached reads replayed in front of it.

CachedReadMiddleware answers a cached read from its stored bytes, but only after Django's request
handling has run around it (request signals, URL configuration, the response-shaping middleware),
which costs more than the answer itself: under gunicorn it held cached reads to 54% of what a bare
WSGI app serves. Once Django has sent a stored response through its whole stack, this application
remembers the status and headers Django sent (security headers, Content-Length and all) and replays
them with the stored body to the next caller find_stored admits, without entering Django. It replays
only what Django produced for the same URL and the same stored response: a response that set a
cookie is never remembered, and a rebuilt stored response (a write, an expiry) goes through Django
first. The request log records replayed requests as Django's middleware does.
"""

import time
from dataclasses import dataclass

from django.core.handlers.wsgi import WSGIRequest

from core.caching import STORED_RESPONSE_ENVIRON_KEY, StoredResponse, find_stored
from core.logging import log_request

_WITHOUT = frozenset({"x-cache", "age"})  # set afresh on each replay
_REPLAYS_MAX = 10_000


@dataclass(frozen=True)
class _Replay:
    generation: str
    stored_at: float
    status: str
    headers: tuple[tuple[str, str], ...]

    def replays(self, entry: StoredResponse) -> bool:
        return (self.generation, self.stored_at) == (entry.generation, entry.stored_at)


class StoredResponseApplication:
    def __init__(self, application, clock=time.time):
        self.application = application
        self.clock = clock
        self._replays: dict[str, _Replay] = {}  # response key -> what Django last sent for it
        self._paths: set[str] = set()  # raw PATH_INFO values some replay was recorded for

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET":
            return self.application(environ, start_response)
        raw_path = environ.get("PATH_INFO", "")
        if raw_path in self._paths:
            body = self._replay(environ, start_response)
            if body is not None:
                return body

        def start_and_remember(status, headers, exc_info=None):
            if exc_info is None and STORED_RESPONSE_ENVIRON_KEY in environ:
                self._remember(raw_path, *environ[STORED_RESPONSE_ENVIRON_KEY], status, headers)
            return start_response(status, headers, exc_info)

        return self.application(environ, start_and_remember)

    def _remember(self, raw_path: str, key: str, entry: StoredResponse, status: str, headers) -> None:
        if not status.startswith("200 ") or any(name.lower() == "set-cookie" for name, _ in headers):
            return
        if len(self._replays) >= _REPLAYS_MAX:
            self._replays.clear()
            self._paths.clear()
        kept = tuple((name, value) for name, value in headers if name.lower() not in _WITHOUT)
        self._replays[key] = _Replay(entry.generation, entry.stored_at, status, kept)
        if raw_path.isascii():  # Django rewrites PATH_INFO in place; ASCII paths read the same after
            self._paths.add(raw_path)

    def _replay(self, environ, start_response):
        started = time.perf_counter()
        request = WSGIRequest(environ)
        hit = find_stored(request)
        if hit is None:
            return None
        replay = self._replays.get(hit.key)
        if replay is None or not replay.replays(hit.entry):
            return None
        age = str(max(0, int(self.clock() - hit.entry.stored_at)))
        start_response(replay.status, [*replay.headers, ("X-Cache", "hit"), ("Age", age)])
        request.user = hit.user()
        log_request(request, 200, started, "hit")
        return [hit.entry.body]
