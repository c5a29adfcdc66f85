"""Helpers for tests that run the API in real gunicorn servers (test_concurrency_live.py,
test_faults.py, test_multiprocess.py, test_fuzz_api.py): databases of the tests' own, a server
process (`mechanic_shop.wsgi:application`, plain Django), an HTTP client, and a TCP proxy that
can cut a server off from its database or cache without touching the shared database and Redis
servers.

Which database server: the one the suite runs on (DATABASE_URL), so CI's MariaDB run tests
MariaDB and its PostgreSQL run PostgreSQL; PostgreSQL on a SQLite run. LIVE_DATABASES
("postgres,mariadb", or "sqlite" for a SQLite file in a temporary directory, which the settings
open with IMMEDIATE transactions and WAL) overrides it.

Which cache: a server started with base_env() and neither CACHE_URL nor CACHE_DIR gets a
diskcache directory of its own (the settings' default store, `CACHE_DIR`); `CACHE_URL=redis://`
puts it on Redis. Servers on Redis use LIVE_REDIS_URL, a Redis database apart from REDIS_URL's
(where the in-process tests clear their keys at every test), each server with a key prefix of
its own.
"""

import atexit
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
GUNICORN = PROJECT / ".venv" / "bin" / "gunicorn"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_database(url: str, number: int) -> str:
    """`url` (redis://host:port[/db]) naming database `number` instead."""
    server = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    return f"{server}/{number}"


# CI's suites use databases 13 to 15 (REDIS_URL and two CACHE_URLs); live servers keep to 11.
LIVE_REDIS_URL = os.environ.get("LIVE_REDIS_URL") or _redis_database(REDIS_URL, 11)
STAFF_USERNAME, STAFF_PASSWORD = "live-staff", "Live-Staff-Password-42"
STARTUP_SECONDS = 60
DB_HOST = "127.0.0.1"


# --- Databases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    name: str  # "postgres", "mariadb" or "sqlite"
    port: int  # 0 for sqlite

    def url(self, database: str, port: int | None = None) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{self.sqlite_path(database)}"
        scheme, user = ("postgres", "postgres") if self.name == "postgres" else ("mysql", "root")
        return f"{scheme}://{user}@{DB_HOST}:{port or self.port}/{database}"

    @staticmethod
    def sqlite_path(database: str) -> Path:
        return Path(_sqlite_directory()) / f"{database}.sqlite3"

    def connect(self, database: str | None = None):
        """A DB-API connection in autocommit mode (every statement sees committed data)."""
        if self.name == "sqlite":
            import sqlite3

            assert database, "a SQLite connection names its database file"
            return _SqliteConnection(sqlite3.connect(self.sqlite_path(database), isolation_level=None, timeout=30))
        if self.name == "postgres":
            import psycopg

            return psycopg.connect(
                host=DB_HOST, port=self.port, user="postgres", dbname=database or "postgres", autocommit=True
            )
        import MySQLdb

        connection = MySQLdb.connect(
            host=DB_HOST, port=self.port, user="root", database=database or "", charset="utf8mb4"
        )
        connection.autocommit(True)
        return connection

    def create(self, database: str) -> None:
        self.drop(database)
        if self.name == "sqlite":
            return  # migrate creates the file
        with closing(self.connect()) as connection:
            cursor = connection.cursor()
            if self.name == "postgres":
                cursor.execute(f'CREATE DATABASE "{database}"')
            else:
                # As the test settings do for MariaDB test databases: a case-insensitive collation
                # is what makes the unique email and name columns ignore case there.
                cursor.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    def available(self) -> bool:
        if self.name == "sqlite":
            return True
        try:
            self.connect().close()
        except Exception:  # noqa: BLE001 - not installed, not running: either way not testable here
            return False
        return True

    def drop(self, database: str) -> None:
        if self.name == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.sqlite_path(database)}{suffix}").unlink(missing_ok=True)
            return
        with closing(self.connect()) as connection:
            cursor = connection.cursor()
            if self.name == "postgres":
                cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            else:
                cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")


@contextmanager
def closing(connection):
    try:
        yield connection
    finally:
        connection.close()


class _SqliteConnection:
    """sqlite3 with the %s placeholders the tests write for the other drivers."""

    def __init__(self, connection):
        self._connection = connection

    def cursor(self):
        return _SqliteCursor(self._connection.cursor())

    def close(self) -> None:
        self._connection.close()


class _SqliteCursor:
    def __init__(self, cursor):
        self._cursor = cursor

    def execute(self, sql: str, params: tuple = ()):
        return self._cursor.execute(sql.replace("%s", "?"), params)

    def fetchall(self):
        return self._cursor.fetchall()


_SQLITE_DIRECTORY: list[str] = []


def _sqlite_directory() -> str:
    if not _SQLITE_DIRECTORY:
        _SQLITE_DIRECTORY.append(temporary_directory("live-sqlite-"))
    return _SQLITE_DIRECTORY[0]


BACKENDS = {"postgres": Backend("postgres", 5432), "mariadb": Backend("mariadb", 3306), "sqlite": Backend("sqlite", 0)}


def live_backend_names() -> list[str]:
    if names := os.environ.get("LIVE_DATABASES"):
        return [name.strip() for name in names.split(",") if name.strip()]
    url = os.environ.get("DATABASE_URL", "")
    return ["mariadb"] if url.startswith("mysql") else ["postgres"]


def require_backend(name: str) -> Backend:
    backend = BACKENDS[name]
    if not backend.available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no {name} server on {DB_HOST}:{backend.port}")
        pytest.skip(f"no {name} server on {DB_HOST}:{backend.port}")
    return backend


def query(backend: Backend, database: str, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(backend.connect(database)) as connection:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


# --- Redis ------------------------------------------------------------------------------------


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("REQUIRE_REDIS") == "1":
            raise
        pytest.skip(f"no Redis server at {REDIS_URL}")


def redis_db(url: str = LIVE_REDIS_URL) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1] if url.count("/") > 2 else "0"


def delete_redis_keys(prefix: str) -> None:
    """Remove a live server's keys (every key of a server starts with its CACHE_KEY_PREFIX)."""
    import redis

    try:
        client = redis.Redis.from_url(LIVE_REDIS_URL, socket_connect_timeout=1)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    except redis.exceptions.ConnectionError:
        pass


def new_cache_prefix() -> str:
    return f"live-{uuid.uuid4().hex}"


# --- Servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_TEMPORARY_DIRECTORIES: list[str] = []


def temporary_directory(prefix: str) -> str:
    """A directory removed when the test run ends."""
    path = tempfile.mkdtemp(prefix=prefix)
    _TEMPORARY_DIRECTORIES.append(path)
    return path


@atexit.register
def _remove_temporary_directories() -> None:
    for path in _TEMPORARY_DIRECTORIES:
        shutil.rmtree(path, ignore_errors=True)


_STATIC_ROOT: list[str] = []


def _empty_static_root() -> str:
    if not _STATIC_ROOT:
        _STATIC_ROOT.append(temporary_directory("live-static-"))
    return _STATIC_ROOT[0]


def base_env(**overrides: str) -> dict[str, str]:
    """The environment of a production-like server process: DEBUG off, throttling off unless
    the test turns it on, and a cache of its own (a new diskcache directory unless `overrides`
    name CACHE_URL or CACHE_DIR)."""
    dropped = {
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_URL",
        "CACHE_URL",
        "CACHE_DIR",
        "CACHE_KEY_PREFIX",
        "THROTTLE_RATES",
        "THROTTLING_ENABLED",
        "NUM_PROXIES",
        "JWT_SIGNING_KEY",
        "CELERY_BROKER_URL",
        "CELERY_BROKER_DIR",
        "CELERY_QUEUE",
        "STATIC_ROOT",
    }
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(
        DJANGO_SETTINGS_MODULE="mechanic_shop.settings",
        SECRET_KEY="live-test-secret-key-0123456789abcdef-0123456789",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        THROTTLING_ENABLED="false",
        REQUEST_LOG_LEVEL="WARNING",
        LOG_LEVEL="WARNING",
        GUNICORN_LOG_LEVEL="warning",
        # Tasks go nowhere unless the test runs workers (tests/workers.py names a broker), and
        # webhook hosts are never looked up in DNS: no test sends a packet beyond this machine.
        CELERY_BROKER_URL="memory://",
        WEBHOOK_RESOLVER="webhooks.addresses.offline_resolver",
    )
    if "CACHE_URL" not in overrides and "CACHE_DIR" not in overrides:
        env["CACHE_DIR"] = temporary_directory("live-cache-")
    # Nothing collected: WhiteNoise serves the app folders' files (WHITENOISE_USE_FINDERS) and
    # finds the collected-files directory it looks for at start, empty.
    env["STATIC_ROOT"] = _empty_static_root()
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]


def migrate_with_staff(env: dict[str, str]) -> None:
    """Migrate the database that `env` names and add one staff user (Server.login_staff's)."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({STAFF_USERNAME!r}, password={STAFF_PASSWORD!r}, is_staff=True)",
    )


def prepare_database(backend: Backend, database: str) -> None:
    """A new, migrated database with one staff user."""
    backend.create(database)
    migrate_with_staff(base_env(DATABASE_URL=backend.url(database)))


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: object

    @property
    def is_json_error(self) -> bool:
        return (
            self.headers.get("content-type", "").startswith("application/json")
            and isinstance(self.body, dict)
            and isinstance(self.body.get("error"), str)
        )


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path
    token: str | None = field(default=None)

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        token: str | None = None,
        timeout: float = 30,
        headers: dict[str, str] | None = None,
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            raw = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode("utf-8", "replace")  # kept as text, so an assertion can show it
            return Response(response.status, headers, parsed)
        finally:
            connection.close()

    def staff(
        self, method: str, path: str, body: object = None, timeout: float = 30, headers: dict[str, str] | None = None
    ) -> Response:
        return self.request(method, path, body, self.token, timeout, headers)

    def login_staff(self) -> str:
        response = self.request("POST", "/auth/login", {"username": STAFF_USERNAME, "password": STAFF_PASSWORD})
        assert response.status == 200, (response.status, response.body)
        self.token = response.body["auth_token"]
        return self.token

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def launch_server(
    env: dict[str, str], log: Path, workers: int = 4, config: Path | None = None, extra_args: tuple[str, ...] = ()
) -> Server:
    """gunicorn on a free port, not yet known to be healthy (see wait_until_healthy), so that
    several servers can start at once. `config` defaults to the project's gunicorn.conf.py (so
    GUNICORN_TIMEOUT applies)."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "mechanic_shop.wsgi:application",
            "-c",
            str(config or PROJECT / "gunicorn.conf.py"),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            *extra_args,
        ],
        cwd=PROJECT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return Server(port, process, log)


def wait_until_healthy(server: Server) -> None:
    """Return once /healthz answers 200; stop the server and fail the test if it never does."""
    process = server.process
    if not wait_for(lambda: healthz_status(server) == 200, STARTUP_SECONDS, stop=lambda: process.poll() is not None):
        stop_server(server)
        pytest.fail(f"server on port {server.port} did not become healthy:\n{server.log_text()[-3000:]}")


def start_server(
    env: dict[str, str], log: Path, workers: int = 4, config: Path | None = None, extra_args: tuple[str, ...] = ()
) -> Server:
    """gunicorn (see launch_server); healthy on return."""
    server = launch_server(env, log, workers, config, extra_args)
    wait_until_healthy(server)
    return server


def healthz_status(server: Server) -> int | None:
    try:
        return server.request("GET", "/healthz", timeout=10).status
    except OSError:
        return None


def wait_for(condition, seconds: float, stop=lambda: False, interval: float = 0.1) -> bool:
    """Poll `condition` until it holds (True) or `seconds` pass (False): for live servers, whose
    state changes on the wall clock."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop():
        if condition():
            return True
        time.sleep(interval)
    return False


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


# --- Fault injection --------------------------------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to an upstream TCP server until cut().

    cut() closes every forwarded connection and stops listening, so clients get "connection
    refused", as from a server that went away; restore() listens again on the same port.
    stall() keeps accepting but passes nothing on, as a server that hangs.
    """

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._stalled = False
        self.restore()

    @property
    def is_up(self) -> bool:
        return self._listener is not None

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        with self._lock:
            assert self._listener is None, "the proxy is already up"
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
        if listener is not None:
            _shut(listener)  # wakes the thread blocked in accept()
        for sock in connections:
            _shut(sock)

    close = cut

    def stall(self) -> None:
        self._stalled = True

    def unstall(self) -> None:
        self._stalled = False
        self.cut()  # the connections that lost bytes meanwhile are of no use any more
        self.restore()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _shut(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _shut(client)
                    _shut(upstream)
                    return
                self._connections.update((client, upstream))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not self._stalled:
                    target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.difference_update((source, target))
            _shut(source)
            _shut(target)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@contextmanager
def cut(proxy: TcpProxy) -> Iterator[None]:
    proxy.cut()
    try:
        yield
    finally:
        proxy.restore()


@contextmanager
def stalled(proxy: TcpProxy) -> Iterator[None]:
    proxy.stall()
    try:
        yield
    finally:
        proxy.unstall()


# --- races against a staff-signed-in server ---------------------------------------------------


@contextmanager
def staff_server(backend_name: str, database: str, workdir: Path, workers: int = 4) -> Iterator[tuple[Server, Backend]]:
    """A multi-worker server on a database of its own (on `backend_name`) and Redis, with its
    staff signed in; everything it made is removed afterwards. For module-scoped race fixtures."""
    require_redis()
    backend = require_backend(backend_name)
    prepare_database(backend, database)
    prefix = new_cache_prefix()
    env = base_env(DATABASE_URL=backend.url(database), CACHE_URL=LIVE_REDIS_URL, CACHE_KEY_PREFIX=prefix)
    server = None
    try:
        server = start_server(env, workdir / "server.log", workers=workers)
        server.login_staff()
        yield server, backend
    finally:
        if server is not None:
            stop_server(server)
        backend.drop(database)
        delete_redis_keys(prefix)


def at_once(calls: list) -> list[Response]:
    """Run every call in its own client thread, all released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


# A race may end in any of the allowed answers, never in a 500 or a non-JSON error.
def assert_no_server_error(responses: list[Response], allowed: set[int]) -> None:
    statuses = Counter(response.status for response in responses)
    assert set(statuses) <= allowed, (statuses, [r.body for r in responses if r.status not in allowed][:3])
    assert all(r.status < 300 or r.is_json_error for r in responses)
