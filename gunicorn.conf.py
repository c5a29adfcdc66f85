"""gunicorn settings for `make serve`. Every value can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound, but rarely: a restart
# costs the requests waiting on that worker (README "Production serving and performance"). The
# app is loaded once in the master, so a recycled worker is a fork, not a fresh import of Django.
preload_app = True
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# Django's RequestLogMiddleware writes the structured request log; gunicorn's own access log is
# off unless asked for.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket (for `gunicornc`) lives at one path per user; several servers on one
# machine (tests, the benchmark, blue/green) would fight over it, and we do not use it.
control_socket_disable = True
# Request lines up to 8 KiB (gunicorn's own maximum); longer ones get gunicorn's plain 414 before
# Django sees them. Ids and pagination never need more.
limit_request_line = 8190
