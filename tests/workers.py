"""Helpers for tests that run real Celery workers (tests/test_workers_live.py): a broker each
test controls, the API in gunicorn and Celery workers and beat on a database of their own.

Brokers, each stoppable and restartable by the test without touching a shared server:
- "redis": a redis-server of the test's own (no persistence: a restart comes back empty, the
  worst case), on a free port;
- "rabbitmq": the machine's RabbitMQ (LIVE_AMQP_URL, default amqp://guest:guest@127.0.0.1:5672//)
  behind a TCP proxy the test can cut (tests/live.py), the only way to stop a shared server for
  one test;
- "filesystem": kombu's filesystem transport in a temporary folder, as `make run` uses it.

Every stack uses a queue of its own name (and its workers node names of their own), so that
concurrent runs on one RabbitMQ never take each other's tasks. The broker is skipped when it is
not there, unless CI=true.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from tests import live

LIVE_AMQP_URL = os.environ.get("LIVE_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
READY_SECONDS = 60


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(what)
    pytest.skip(what)


class RedisBroker:
    name = "redis"

    def __init__(self, workdir: Path):
        executable = shutil.which("redis-server")
        if executable is None:
            _missing("redis-server is not installed")
        self.executable = executable
        self.workdir = workdir
        self.port = live.free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=(self.workdir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        assert live.wait_for(self._answers, 10), (self.workdir / "redis.log").read_text()[-2000:]

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        """Shut the server down; what it held is gone (no persistence)."""
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process = None

    def close(self, queue: str) -> None:
        if self.process is not None:
            self.stop()


class RabbitBroker:
    name = "rabbitmq"

    def __init__(self, workdir: Path):
        parts = urlsplit(LIVE_AMQP_URL)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 5672
        try:
            socket.create_connection((self.host, self.port), timeout=2).close()
        except OSError:
            _missing(f"no RabbitMQ at {self.host}:{self.port}")
        self.user, self.password = unquote(parts.username or "guest"), unquote(parts.password or "guest")
        self.vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        self.proxy = live.TcpProxy(self.port, self.host)

    def _url(self, host: str, port: int) -> str:
        return f"amqp://{quote(self.user)}:{quote(self.password)}@{host}:{port}/{quote(self.vhost, safe='')}"

    @property
    def url(self) -> str:
        return self._url("127.0.0.1", self.proxy.port)

    def start(self) -> None:
        self.proxy.restore()

    def stop(self) -> None:
        """Cut every connection to RabbitMQ and refuse new ones, as a broker that went away."""
        self.proxy.cut()

    def close(self, queue: str) -> None:
        from kombu import Connection

        if self.proxy.is_up:
            self.proxy.cut()
        with Connection(self._url(self.host, self.port), connect_timeout=5) as connection:
            channel = connection.channel()
            channel.queue_delete(queue)
            channel.exchange_delete(queue)


class FilesystemBroker:
    name = "filesystem"

    def __init__(self, workdir: Path):
        self.folder = workdir / "broker"
        self.url = "filesystem://localhost/"
        # The folders `make broker-folders` makes for `make run`.
        for sub in ("messages", "control"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)

    def close(self, queue: str) -> None:
        pass


BROKERS = {"redis": RedisBroker, "rabbitmq": RabbitBroker, "filesystem": FilesystemBroker}


class Stack:
    """The API (gunicorn, 2 workers) and Celery workers and beat, on one database and broker, with
    sweeps every second and retries half a second apart, so that faults show quickly."""

    def __init__(self, broker_name: str, backend_name: str, workdir: Path, database: str):
        self.workdir = workdir
        self.broker = BROKERS[broker_name](workdir)
        self.queue = f"ms-live-{uuid.uuid4().hex[:12]}"
        self.backend = live.require_backend(backend_name)
        self.database = database
        live.prepare_database(self.backend, database)
        overrides = {
            "DATABASE_URL": self.backend.url(database),
            "CELERY_BROKER_URL": self.broker.url,
            "CELERY_QUEUE": self.queue,
            "CELERY_BEAT_SCHEDULE_FILENAME": str(workdir / "celerybeat"),
            "EVENTS_SWEEP_SECONDS": "1",
            "EVENTS_DISPATCH_GRACE_SECONDS": "1",
            "WEBHOOK_SWEEP_SECONDS": "1",
            "WEBHOOK_RETRY_SCHEDULE": ",".join(["0.5"] * 7),
            "WEBHOOK_TIMEOUT": "5",
            "WEBHOOK_ALLOW_HTTP": "true",
            "WEBHOOK_ALLOW_PRIVATE": "true",
            "WEBHOOK_RESOLVER": "webhooks.addresses.offline_resolver",
        }
        if isinstance(self.broker, FilesystemBroker):
            overrides["CELERY_BROKER_DIR"] = str(self.broker.folder)
        self.env = live.base_env(**overrides)
        self.processes: list[subprocess.Popen] = []
        self.server: live.Server | None = None
        try:
            self.server = live.start_server(self.env, workdir / "server.log", workers=2)
            self.server.login_staff()
        except BaseException:
            self.close()
            raise

    def _celery(self, name: str, *args: str) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "mechanic_shop", *args, "--loglevel", "INFO"],
            cwd=live.PROJECT,
            env={**self.env, "LOG_LEVEL": "INFO"},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the worker and its pool, killed together
        )
        process.log = log  # where its output goes, for start_worker's wait and the failure messages
        self.processes.append(process)
        return process

    def start_worker(self, concurrency: int = 2) -> subprocess.Popen:
        name = f"w{len(self.processes)}-{uuid.uuid4().hex[:8]}"
        worker = self._celery(
            name,
            "worker",
            "--hostname",
            f"{name}@%h",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        )
        ready = live.wait_for(lambda: " ready." in worker.log.read_text(errors="replace"), READY_SECONDS)
        assert ready, worker.log.read_text(errors="replace")[-3000:]
        return worker

    def start_beat(self) -> subprocess.Popen:
        return self._celery("beat", "beat")

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9 the process and every process of its group (a worker's pool)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill(process)

    def logs(self) -> str:
        parts = []
        for path in sorted(self.workdir.glob("*.log")):
            parts.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def close(self) -> None:
        for process in self.processes:
            self.stop(process)
        if self.server is not None:
            live.stop_server(self.server)
        self.backend.drop(self.database)
        self.broker.close(self.queue)
