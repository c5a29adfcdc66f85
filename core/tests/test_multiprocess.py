"""Two real servers (gunicorn, 2 workers each) sharing one SQLite file and one cache: a write
through one is seen at once through the other's cached read, and a rate limit is one limit for
both, exactly, under 50 concurrent requests. Run with Redis and with the default file store.

These tests touch no test database: the servers run in their own processes on a file of their own.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
GUNICORN = PROJECT / ".venv" / "bin" / "gunicorn"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
STAFF_USERNAME, STAFF_PASSWORD = "mp-staff", "Mp-Staff-Password-42"
STARTUP_SECONDS = 60


def base_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CACHE_URL", "THROTTLE_RATES", "THROTTLING_ENABLED", "NUM_PROXIES"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mechanic_shop.settings",
        SECRET_KEY="multiprocess-test-secret-key-0123456789abcdef",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        REQUEST_LOG_LEVEL="WARNING",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def template_database(tmp_path_factory) -> Path:
    """A migrated SQLite file with a staff user, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "db.sqlite3"
    env = base_env(DATABASE_URL=f"sqlite:///{path}", CACHE_URL=f"filecache://{path.parent / 'cache'}")
    manage(env, "migrate", "--noinput", "-v0")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({STAFF_USERNAME!r}, password={STAFF_PASSWORD!r}, is_staff=True)",
    )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        """(status, headers, parsed JSON body)"""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            raw = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw) if raw else None
        finally:
            connection.close()


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            if server.request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    server.process.kill()
    pytest.fail(f"server on port {server.port} did not become healthy:\n{server.log.read_text()[-3000:]}")


@pytest.fixture
def start_servers(template_database, tmp_path):
    """start_servers(store, **env) -> two healthy servers sharing a database and a cache."""
    started: list[Server] = []
    redis_prefixes: list[str] = []

    def start(store: str, **env_overrides: str) -> tuple[Server, Server]:
        database = tmp_path / "db.sqlite3"
        shutil.copy(template_database, database)
        prefix = f"mp-{uuid.uuid4().hex}"  # this test's keys only, in a Redis db others may use
        if store == "redis":
            require_redis()
            redis_prefixes.append(prefix)
            cache_url = REDIS_URL
        else:
            cache_url = f"filecache://{tmp_path / 'cache'}"
        env = base_env(DATABASE_URL=f"sqlite:///{database}", CACHE_URL=cache_url, CACHE_KEY_PREFIX=prefix, **env_overrides)
        config = tmp_path / "gunicorn.conf.py"
        config.write_text("")  # not the project's gunicorn.conf.py: these settings are the test's
        pair = []
        for n in (1, 2):
            port, log = free_port(), tmp_path / f"server{n}.log"
            process = subprocess.Popen(
                [str(GUNICORN), "mechanic_shop.wsgi:application", "-c", str(config), "-b", f"127.0.0.1:{port}", "-w", "2"],
                cwd=PROJECT,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            server = Server(port, process, log)
            started.append(server)
            pair.append(server)
        for server in pair:
            wait_until_healthy(server)
        return pair[0], pair[1]

    yield start

    for server in started:
        server.process.terminate()
    for server in started:
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    if redis_prefixes:
        delete_redis_keys(redis_prefixes)


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("REQUIRE_REDIS") == "1":
            raise
        pytest.skip(f"no Redis server at {REDIS_URL}")


def delete_redis_keys(prefixes: list[str]) -> None:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        for prefix in prefixes:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
    except redis.exceptions.ConnectionError:
        pass


def staff_token(server: Server) -> str:
    status, _, body = server.request("POST", "/auth/login", {"username": STAFF_USERNAME, "password": STAFF_PASSWORD})
    assert status == 200, body
    return body["auth_token"]


def daily_rate() -> str:
    """A daily window: windows follow the real clock in real servers, and a test that straddled
    a window's end would see the count restart. A day's end is 00:00 UTC; refuse to start
    within a minute of it rather than report a false failure."""
    now = datetime.now(timezone.utc)
    if now.hour == 23 and now.minute == 59:
        pytest.skip("too close to the end of the daily rate-limit window")
    return "mechanics_list=5/day"


STORES = ["redis", "file"]


@pytest.mark.parametrize("store", STORES)
def test_a_write_through_one_server_is_visible_at_once_through_the_other(start_servers, store):
    one, two = start_servers(store)
    token = staff_token(one)
    status, _, mechanic = one.request(
        "POST", "/mechanics", {"name": "Original", "email": "orig@shop.example", "phone": "1", "salary": 10}, token
    )
    assert status == 201
    paths = [f"/mechanics/{mechanic['id']}", "/mechanics"]
    for path in paths:
        # A token from server 1 is good on server 2; the read is cached there.
        warm = [two.request("GET", path, token=token) for _ in range(2)]
        assert [(s, h["x-cache"]) for s, h, _ in warm] == [(200, "miss"), (200, "hit")]

    status, _, _ = one.request("PUT", paths[0], {"name": "Renamed", "email": "orig@shop.example", "phone": "1", "salary": 10}, token)
    assert status == 200

    status, headers, body = two.request("GET", paths[0], token=token)
    assert (status, headers["x-cache"], body["name"]) == (200, "miss", "Renamed")
    status, headers, body = two.request("GET", paths[1], token=token)
    assert (status, headers["x-cache"], [m["name"] for m in body]) == (200, "miss", ["Renamed"])


@pytest.mark.parametrize("store", STORES)
def test_a_rate_limit_is_one_limit_across_both_servers(start_servers, store):
    one, two = start_servers(store, THROTTLE_RATES=daily_rate())
    token = staff_token(one)

    statuses = [(one if n % 2 == 0 else two).request("GET", "/mechanics", token=token)[0] for n in range(12)]

    assert statuses == [200] * 5 + [429] * 7


@pytest.mark.parametrize("store", STORES)
def test_50_concurrent_requests_across_both_servers_let_exactly_5_through(start_servers, store):
    one, two = start_servers(store, THROTTLE_RATES=daily_rate())
    token = staff_token(one)
    barrier = threading.Barrier(50)

    def one_request(n: int):
        barrier.wait()
        status, headers, body = (one if n % 2 == 0 else two).request("GET", "/mechanics", token=token)
        return status, headers.get("retry-after"), body

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one_request, range(50)))

    statuses = [status for status, _, _ in results]
    assert statuses.count(200) == 5
    assert statuses.count(429) == 45
    refused = [(retry, body) for status, retry, body in results if status == 429]
    assert all(int(retry) >= 1 and body.keys() == {"error"} for retry, body in refused)
