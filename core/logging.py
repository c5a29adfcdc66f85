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


class RequestLogMiddleware:
    """One line per request: method, path, status, duration, caller, and whether a cached
    response answered it (Django's cache adds `Age` to the responses it serves)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if request_logger.isEnabledFor(logging.INFO):
            user = getattr(request, "user", None)
            signed_in = getattr(user, "is_authenticated", False)
            request_logger.info(
                "request",
                extra={
                    "fields": {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "remote_addr": request.META.get("REMOTE_ADDR"),
                        "cached": response.has_header("Age"),
                        "principal": f"{user._meta.model_name}:{user.pk}" if signed_in else None,
                    }
                },
            )
        return response
