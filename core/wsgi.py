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

A replay skips the middleware above CachedReadMiddleware, which is safe only for middleware whose
work depends on nothing but what the stored response's key holds (scheme, host, path): Django ran
them for that key when the headers were recorded. replay_blockers() names anything else in the
settings; while there is something, nothing is replayed (and `manage.py check` says why).
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest

from core.caching import DECLINED_ENVIRON_KEY, STORED_RESPONSE_ENVIRON_KEY, StoredResponse, find_stored
from core.logging import log_request

CACHED_READ_MIDDLEWARE = "core.caching.CachedReadMiddleware"
# Middleware whose work on a GET depends only on its scheme, host and path (redirects to HTTPS, to
# www. or to a trailing slash; static files), that only adds fixed headers to the response, or that
# only reshapes error responses. core.logging's log is written by the replay itself.
REPLAY_SAFE_MIDDLEWARE = frozenset({
    "core.logging.RequestLogMiddleware",
    "core.middleware.JsonErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
})


def replay_blockers() -> list[str]:
    """What in the settings makes Django's answer depend on more than a replay checks."""
    if CACHED_READ_MIDDLEWARE not in settings.MIDDLEWARE:
        return [f"{CACHED_READ_MIDDLEWARE} is not in MIDDLEWARE"]
    above = settings.MIDDLEWARE[: settings.MIDDLEWARE.index(CACHED_READ_MIDDLEWARE)]
    blockers = [f"{path} runs above {CACHED_READ_MIDDLEWARE}" for path in above if path not in REPLAY_SAFE_MIDDLEWARE]
    if settings.DISALLOWED_USER_AGENTS:
        blockers.append("DISALLOWED_USER_AGENTS makes CommonMiddleware's answer depend on the User-Agent")
    return blockers


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
        self.enabled = not replay_blockers()
        self._replays: dict[str, _Replay] = {}  # response key -> what Django last sent for it
        self._paths: set[str] = set()  # raw PATH_INFO values some replay was recorded for

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or not self.enabled:
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
        self._paths.add(raw_path)

    def _replay(self, environ, start_response):
        started = time.perf_counter()
        # On a copy: WSGIRequest rewrites PATH_INFO and SCRIPT_NAME in the environ it is given, and
        # Django must read the originals when the request goes on to it.
        request = WSGIRequest(environ.copy())
        try:
            hit = find_stored(request)
        except Exception:
            # Whatever went wrong (a query string over Django's field limit, a broken cache entry),
            # Django answers it and reports it the way it reports everything else.
            return None
        if hit is None:
            environ[DECLINED_ENVIRON_KEY] = True  # CachedReadMiddleware need not ask again
            return None
        replay = self._replays.get(hit.key)
        if replay is None or not replay.replays(hit.entry):
            return None
        start_response(replay.status, [*replay.headers, ("X-Cache", "hit"), ("Age", hit.entry.age(self.clock()))])
        request.user = hit.user()
        log_request(request, 200, started, "hit")
        return [hit.entry.body]
