"""The production server of `make serve`: granian (a Rust HTTP server) with its WSGI interface.

    .venv/bin/python serve.py [mechanic_shop.wsgi:application] [--host H] [--port P] [--workers N]

Chosen by measurement against gunicorn's sync and gthread workers (docs/performance.md). Every
setting can be given in the environment:

- WEB_CONCURRENCY: worker processes (default: one per CPU core; each runs Django in its own
  interpreter, so the cores are used without the GIL in the way).
- SERVER_THREADS: threads per worker running requests (default 2: one answers while the other
  waits on the database or the cache). It bounds the worker's database connections too
  (CONN_MAX_AGE keeps one per thread), and it is the worker's backpressure: more requests
  wait in the socket's backlog, not inside the worker.
- SERVER_HEADER_TIMEOUT: seconds a client may take to send its request headers (default 30).
- SERVER_SHUTDOWN_TIMEOUT: seconds a worker may take to finish its requests when it stops or is
  replaced (default 30; then it is killed).
- SERVER_MAX_LIFETIME: seconds after which a worker is replaced by a fresh one (default one day),
  so a slow leak cannot grow without bound.
- SERVER_LOG_LEVEL (default info), SERVER_ACCESS_LOG=true for granian's own access log (off:
  Django's RequestLogMiddleware writes one JSON line per request with LOG_FORMAT=json, as
  `make serve` sets). With LOG_FORMAT=json granian's own lines are JSON too (core.logging).

Graceful restart: SIGHUP makes granian start new workers and stop the old ones once they have
answered what they hold (deploying new code); SIGTERM or SIGINT stop it the same way.
Request size: the body is limited by Django (DATA_UPLOAD_MAX_MEMORY_SIZE, 413; a chunked body
without a length is 411), the request line and headers by granian's HTTP/1 buffer (64 KiB here).
There is no per-request timeout: a WSGI thread cannot be interrupted; the database's
statement timeout and the cache's socket timeouts bound what a request waits on.
"""

import argparse
import os

from granian import Granian
from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels

MAX_HEADERS_BYTES = 64 * 1024
# granian's logging (its dictConfig, with our formatter) when the app logs JSON lines.
JSON_LOGGING = {
    "formatters": {
        "generic": {"()": "core.logging.JSONFormatter"},
        "access": {"()": "core.logging.JSONFormatter"},
    }
}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", nargs="?", default="mechanic_shop.wsgi:application")
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=env_int("PORT", 8000))
    parser.add_argument("--workers", type=int, default=env_int("WEB_CONCURRENCY", os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=env_int("SERVER_THREADS", 2))
    args = parser.parse_args()
    Granian(
        args.app,
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=args.threads,
        backpressure=args.threads,
        http1_settings=HTTP1Settings(
            header_read_timeout=env_int("SERVER_HEADER_TIMEOUT", 30) * 1000, max_buffer_size=MAX_HEADERS_BYTES
        ),
        websockets=False,
        log_level=LogLevels(os.environ.get("SERVER_LOG_LEVEL", "info")),
        log_dictconfig=JSON_LOGGING if os.environ.get("LOG_FORMAT") == "json" else None,
        log_access=os.environ.get("SERVER_ACCESS_LOG", "").lower() in ("1", "true", "yes"),
        respawn_failed_workers=True,
        workers_kill_timeout=env_int("SERVER_SHUTDOWN_TIMEOUT", 30),
        workers_lifetime=env_int("SERVER_MAX_LIFETIME", 24 * 3600),
    ).serve()


if __name__ == "__main__":
    main()
