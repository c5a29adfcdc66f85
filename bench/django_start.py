"""The benchmarks' start: Django on the project's settings against a database of the bench's own,
with what would skew a measurement switched off (debug, throttling, request logs); and the Celery
worker processes of the benchmarks that measure background work."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parent.parent

SECRET_KEY = "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def recreate_database(url: str) -> None:
    """Drop and create the PostgreSQL database of `url` (it must be the bench's own)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def start_django(*, database: str, cache: str, **extra_env: str) -> None:
    """Set up Django on PostgreSQL `database` (a DATABASE_URL) with `cache` (a CACHE_URL) and any
    further settings' environment variables (`extra_env`), any host allowed for the test client,
    and migrate the database."""
    os.environ.update(
        {
            "DATABASE_URL": database,
            "CACHE_URL": cache,
            "DEBUG": "false",
            "THROTTLING_ENABLED": "false",
            "SECRET_KEY": SECRET_KEY,
            "REQUEST_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "mechanic_shop.settings",
            **extra_env,
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    assert connection.vendor == "postgresql", "this benchmark is about PostgreSQL"
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)


def start_workers(*, count: int, concurrency: int, queue: str, env: dict, logs: Path) -> list[subprocess.Popen]:
    """`count` Celery worker processes of the project (`concurrency` pool processes each, on the
    broker queue `queue` names them after), their output in `logs`/worker<n>.log."""
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mechanic_shop",
                "worker",
                "--hostname",
                f"bench{n}-{queue}@%h",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=PROJECT,
            env={**os.environ, **env},
            stdout=(logs / f"worker{n}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for n in range(count)
    ]


def stop_processes(processes: list[subprocess.Popen]) -> None:
    """Stop them, the last started first, as their SIGTERM handlers do (killed after 20 s)."""
    for process in reversed(processes):
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
