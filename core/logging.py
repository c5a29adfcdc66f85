"""Structured (one JSON object per line) request logs."""

import json
import logging
import time

request_logger = logging.getLogger("mechanic_shop.requests")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def log_request(request, status: int, started: float, cache_status: str | None) -> None:
    """One line per request: method, path, status, duration, caller and cache outcome."""
    if not request_logger.isEnabledFor(logging.INFO):
        return
    user = getattr(request, "user", None)
    request_logger.info(
        "request",
        extra={
            "fields": {
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "remote_addr": request.META.get("REMOTE_ADDR"),
                "cache": cache_status,
                "principal": getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None,
            }
        },
    )


class RequestLogMiddleware:
    """Logs every request Django handles (core.wsgi logs the ones answered before Django)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        log_request(request, response.status_code, started, response.get("X-Cache"))
        return response
