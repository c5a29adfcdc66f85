"""`make serve`'s server (serve.py): granian's WSGI interface with the settings operators expect,
each from the environment."""

import os
from pathlib import Path

import pytest
from granian.constants import Interfaces

import serve

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def started(monkeypatch):
    """The keyword arguments serve.main() gives granian, without starting it."""
    seen = {}

    class FakeGranian:
        def __init__(self, target, **options):
            seen.update(options, target=target)

        def serve(self):
            seen["served"] = True

    monkeypatch.setattr(serve, "Granian", FakeGranian)
    for name in ("WEB_CONCURRENCY", "SERVER_THREADS", "LOG_FORMAT", "SERVER_ACCESS_LOG", "PORT"):
        monkeypatch.delenv(name, raising=False)

    def start(*argv: str, **env: str) -> dict:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr("sys.argv", ["serve.py", *argv])
        serve.main()
        return seen

    return start


def test_defaults_are_one_worker_per_core_with_two_threads(started):
    options = started()

    assert options["served"] and options["target"] == "mechanic_shop.wsgi:application"
    assert options["interface"] == Interfaces.WSGI
    assert options["workers"] == (os.cpu_count() or 1)
    assert options["blocking_threads"] == options["backpressure"] == 2
    assert options["workers_kill_timeout"] == 30  # graceful stop and restart (SIGHUP)
    assert options["http1_settings"].header_read_timeout == 30_000
    assert options["http1_settings"].max_buffer_size == serve.MAX_HEADERS_BYTES
    assert options["log_access"] is False and options["log_dictconfig"] is None


def test_the_environment_overrides_each_setting(started):
    options = started(WEB_CONCURRENCY="5", SERVER_THREADS="3", PORT="7001", LOG_FORMAT="json", SERVER_ACCESS_LOG="true")

    assert (options["workers"], options["blocking_threads"], options["port"]) == (5, 3, 7001)
    assert options["log_access"] is True
    assert options["log_dictconfig"]["formatters"]["generic"]["()"] == "core.logging.JSONFormatter"


def test_make_serve_runs_it():
    makefile = (PROJECT / "Makefile").read_text()
    serve_recipe = makefile.split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert "serve.py mechanic_shop.wsgi:application" in serve_recipe
    assert "gunicorn" not in serve_recipe
