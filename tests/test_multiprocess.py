"""Two real servers (gunicorn, 2 workers each) sharing one SQLite file and one cache: a write
through one is seen at once through the other's cached read, and a rate limit is one limit for
both, exactly, under 50 concurrent requests. Run with the default store (diskcache, one
directory for both servers) and with Redis.

These tests touch no test database: the servers run in their own processes on a file of their own.
"""

import base64
import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import RateLimitClock
from tests import live

pytestmark = pytest.mark.slow

STORES = ["diskcache", "redis"]


def server_env(**overrides: str) -> dict[str, str]:
    # Throttling on, as in production: these tests count a rate limit across servers.
    return live.base_env(THROTTLING_ENABLED="true", **overrides)


@pytest.fixture(scope="module")
def template_database(tmp_path_factory) -> Path:
    """A migrated SQLite file with a staff user, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "db.sqlite3"
    live.migrate_with_staff(server_env(DATABASE_URL=f"sqlite:///{path}"))
    return path


@pytest.fixture
def start_servers(template_database, tmp_path):
    """start_servers(store, **env) -> two healthy servers sharing a database and a cache."""
    started: list[live.Server] = []
    redis_prefixes: list[str] = []

    def start(store: str, **env_overrides: str) -> tuple[live.Server, live.Server]:
        database = tmp_path / "db.sqlite3"
        shutil.copy(template_database, database)
        prefix = live.new_cache_prefix()  # this test's keys only, in a Redis database others may use
        if store == "redis":
            live.require_redis()
            redis_prefixes.append(prefix)
            cache = {"CACHE_URL": live.LIVE_REDIS_URL}
        else:
            cache = {"CACHE_DIR": str(tmp_path / "cache")}  # one directory, both servers
        env = server_env(DATABASE_URL=f"sqlite:///{database}", CACHE_KEY_PREFIX=prefix, **cache, **env_overrides)
        config = tmp_path / "gunicorn.conf.py"
        config.write_text("")  # not the project's gunicorn.conf.py: these settings are the test's
        pair = []
        for n in (1, 2):
            server = live.launch_server(env, tmp_path / f"server{n}.log", workers=2, config=config)
            started.append(server)
            pair.append(server)
        for server in pair:
            live.wait_until_healthy(server)
        return pair[0], pair[1]

    yield start

    for server in started:
        live.stop_server(server)
    for prefix in redis_prefixes:
        live.delete_redis_keys(prefix)


DAILY_RATE = "mechanics_list=5/day"


def skip_near_the_end_of_the_daily_window(token: str) -> None:
    """Windows follow the real clock in real servers, and a test that straddled the end of the
    staff user's daily window would see the count restart: refuse to start within a minute of
    it rather than report a false failure (its second, as core.ratelimits.account_key names the
    user, shifts it)."""
    payload = token.split(".")[1]
    user_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["user_id"]
    now = time.time()
    if RateLimitClock(now).next_window(f"user:{user_id}", 86400) - now < 60:
        pytest.skip("too close to the end of the daily rate-limit window")


def is_hit(response: live.Response) -> bool:
    """Django's cache middleware adds Age to the responses it serves from the cache."""
    return "age" in response.headers


@pytest.mark.parametrize("store", STORES)
def test_a_write_through_one_server_is_visible_at_once_through_the_other(start_servers, store):
    one, two = start_servers(store)
    token = one.login_staff()
    created = one.request(
        "POST", "/mechanics", {"name": "Original", "email": "orig@shop.example", "phone": "1", "salary": 10}, token
    )
    assert created.status == 201
    paths = [f"/mechanics/{created.body['id']}", "/mechanics"]
    for path in paths:
        # A token from server 1 is good on server 2; the read is cached there.
        warm = [two.request("GET", path, token=token) for _ in range(2)]
        assert [(r.status, is_hit(r)) for r in warm] == [(200, False), (200, True)]
        assert warm[0].body == warm[1].body

    updated = one.request(
        "PUT", paths[0], {"name": "Renamed", "email": "orig@shop.example", "phone": "1", "salary": 10}, token
    )
    assert updated.status == 200

    response = two.request("GET", paths[0], token=token)
    assert (response.status, is_hit(response), response.body["name"]) == (200, False, "Renamed")
    response = two.request("GET", paths[1], token=token)
    assert (response.status, is_hit(response), [m["name"] for m in response.body]) == (200, False, ["Renamed"])


@pytest.mark.parametrize("store", STORES)
def test_a_rate_limit_is_one_limit_across_both_servers(start_servers, store):
    one, two = start_servers(store, THROTTLE_RATES=DAILY_RATE)
    token = one.login_staff()
    skip_near_the_end_of_the_daily_window(token)

    statuses = [(one if n % 2 == 0 else two).request("GET", "/mechanics", token=token).status for n in range(12)]

    assert statuses == [200] * 5 + [429] * 7


@pytest.mark.parametrize("store", STORES)
def test_50_concurrent_requests_across_both_servers_let_exactly_5_through(start_servers, store):
    one, two = start_servers(store, THROTTLE_RATES=DAILY_RATE)
    token = one.login_staff()
    skip_near_the_end_of_the_daily_window(token)
    barrier = threading.Barrier(50)

    def one_request(n: int):
        barrier.wait()
        response = (one if n % 2 == 0 else two).request("GET", "/mechanics", token=token)
        return response.status, response.headers.get("retry-after"), response.body

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one_request, range(50)))

    statuses = [status for status, _, _ in results]
    assert statuses.count(200) == 5
    assert statuses.count(429) == 45
    refused = [(retry, body) for status, retry, body in results if status == 429]
    assert all(int(retry) >= 1 and body.keys() == {"error"} for retry, body in refused)
