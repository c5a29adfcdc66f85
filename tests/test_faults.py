"""Faults: the database or the cache going away under a real server, huge bodies, slow clients.

The server (gunicorn, 4 workers, GUNICORN_TIMEOUT=5) reaches its database and Redis through
TCP proxies of the test's own (live.TcpProxy), so a fault cuts only this server off; the shared
database and Redis servers stay up for everyone else.

Decided behaviour, checked here:
- database down: every API call answers 503 {"error": "The database is unavailable; try again
  shortly."} with Retry-After; /healthz answers 503 naming the database; once it is back, full
  service, with every write made before the outage there exactly once.
- Redis down: reads are built from the database (no cached answer: no Age header), writes
  succeed, /healthz answers 503 naming the cache; the scoped rate limits fail open (requests are
  served, uncounted), the sign-in limits fail closed (sign-in answers 503 with Retry-After);
  once Redis is back, full service, and no read shows data older than a write made meanwhile.
- a body over DATA_UPLOAD_MAX_MEMORY_SIZE (1 MiB) is refused with 413 JSON before it is read;
  a client that stalls holds one worker for at most GUNICORN_TIMEOUT, and the others keep serving.

Only the tests that start the server are marked slow. The last part of the module checks the
same mapping in-process, on the suite's own database.
"""

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, ProgrammingError

import conftest
from core.exceptions import CONFLICT, UNAVAILABLE, api_exception_handler, database_failure
from core.middleware import JsonErrorMiddleware
from tests import live

DATABASE = f"ms_faults_{os.getpid()}"  # a run of its own: parallel runs on one machine do not meet
DB_DOWN = {"error": "The database is unavailable; try again shortly."}
LOGIN_DOWN = {"error": "Sign-in is temporarily unavailable; try again shortly."}
BODY_LIMIT = 1024 * 1024
WORKER_TIMEOUT = 5
# A stalled worker is killed GUNICORN_TIMEOUT after its last heartbeat, and a new one boots;
# on a loaded 2-core machine that takes a few seconds more.
RECOVERY_SECONDS = 40
CUSTOMER_PASSWORD = "Fault-Tolerant-42"


@dataclass
class Rig:
    server: live.Server
    backend: live.Backend
    database_proxy: live.TcpProxy
    cache_proxy: live.TcpProxy

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return live.query(self.backend, DATABASE, sql, params)

    def new_mechanic(self) -> dict:
        tag = uuid.uuid4().hex[:10]
        body = {"name": f"Mech {tag}", "email": f"f-{tag}@shop.example", "phone": "555", "salary": 1200.5}
        response = self.server.staff("POST", "/mechanics", body)
        assert response.status == 201, response.body
        return response.body


def daily_window_is_safe() -> None:
    """The mechanics_list limit has a daily window (windows follow the real clock); refuse to
    start within a minute of its end rather than see the count restart mid-test."""
    now = datetime.now(UTC)
    if now.hour == 23 and now.minute == 59:
        pytest.skip("too close to the end of the daily rate-limit window")


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    live.require_redis()
    backend = live.require_backend(live.live_backend_names()[0])
    live.prepare_database(backend, DATABASE)
    redis = urlsplit(live.LIVE_REDIS_URL)
    database_proxy, cache_proxy = live.TcpProxy(backend.port), live.TcpProxy(redis.port or 6379, redis.hostname)
    prefix = live.new_cache_prefix()
    env = live.base_env(
        DATABASE_URL=backend.url(DATABASE, port=database_proxy.port),
        CACHE_URL=f"redis://127.0.0.1:{cache_proxy.port}/{live.redis_db()}",
        CACHE_KEY_PREFIX=prefix,
        GUNICORN_TIMEOUT=str(WORKER_TIMEOUT),
        # Limits on, so that their behaviour without Redis shows; only the one under test is low.
        THROTTLING_ENABLED="true",
        THROTTLE_RATES="mechanics_list=3/day,customers_list=1000/hour,tickets_list=1000/hour,"
        "tickets_remove_mechanic=1000/hour,mechanics_delete=1000/hour,login=100/minute",
    )
    server = None
    try:
        server = live.start_server(env, tmp_path_factory.mktemp("faults") / "server.log", workers=4)
        server.login_staff()
        yield Rig(server, backend, database_proxy, cache_proxy)
    finally:
        if server is not None:
            live.stop_server(server)
        database_proxy.close()
        cache_proxy.close()
        backend.drop(DATABASE)
        live.delete_redis_keys(prefix)


def is_hit(response: live.Response) -> bool:
    """Django's cache middleware adds Age to the responses it serves from the cache."""
    return "age" in response.headers


@pytest.fixture
def healthy(rig) -> Rig:
    """The rig with both proxies up and the server answering, before and after the test."""
    assert rig.database_proxy.is_up and rig.cache_proxy.is_up
    assert live.wait_for(lambda: live.healthz_status(rig.server) == 200, RECOVERY_SECONDS), rig.server.log_text()[
        -2000:
    ]
    yield rig
    assert rig.database_proxy.is_up and rig.cache_proxy.is_up


def assert_database_down(response: live.Response) -> None:
    assert (response.status, response.body) == (503, DB_DOWN), (response.status, response.body)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "5"


# --- The database goes away -------------------------------------------------------------------


@pytest.mark.slow
def test_while_the_database_is_down_every_call_answers_503_json_and_afterwards_all_is_back(healthy):
    rig = healthy
    before = [rig.new_mechanic() for _ in range(5)]
    email = f"c-{uuid.uuid4().hex[:8]}@example.com"
    signup = {"name": "Before", "email": email, "phone": "1", "password": CUSTOMER_PASSWORD}
    assert rig.server.request("POST", "/customers", signup).status == 201
    lost_name = f"Never {uuid.uuid4().hex[:8]}"
    calls = [
        ("GET", f"/mechanics/{before[0]['id']}", None, rig.server.token),
        ("PATCH", f"/mechanics/{before[0]['id']}", {"name": "Changed"}, rig.server.token),
        ("POST", "/inventory", {"name": lost_name, "price": 1}, rig.server.token),
        ("GET", "/inventory", None, None),
        ("POST", "/customers", {**signup, "email": f"x{email}"}, None),
        ("POST", "/customers/login", {"email": email, "password": CUSTOMER_PASSWORD}, None),
        ("POST", "/auth/login", {"username": live.STAFF_USERNAME, "password": live.STAFF_PASSWORD}, None),
    ]

    with live.cut(rig.database_proxy):
        # Every worker meets the outage: 3 rounds of 7 calls over 4 workers.
        for _ in range(3):
            for method, path, body, token in calls:
                assert_database_down(rig.server.request(method, path, body, token))
        health = rig.server.request("GET", "/healthz")
        assert health.status == 503
        assert health.body["database"].startswith("error: ") and health.body["cache"] == "ok"
        assert "database" in health.body["error"]

    assert live.wait_for(lambda: live.healthz_status(rig.server) == 200, 30)
    for _ in range(3):  # every worker's broken connection is replaced
        for mechanic in before:
            response = rig.server.staff("GET", f"/mechanics/{mechanic['id']}")
            assert (response.status, response.body) == (200, mechanic)
    assert rig.server.request("POST", "/customers/login", {"email": email, "password": CUSTOMER_PASSWORD}).status == 200
    emails = tuple(m["email"] for m in before)
    rows = rig.query(
        f"SELECT id, name, email, phone, salary FROM mechanics_mechanic WHERE email IN ({', '.join(['%s'] * 5)})",
        emails,
    )
    assert sorted((r[0], r[1], r[2], r[3], float(r[4])) for r in rows) == sorted(
        (m["id"], m["name"], m["email"], m["phone"], m["salary"]) for m in before
    )
    assert rig.query("SELECT COUNT(*) FROM customers_customer WHERE email = %s", (email,)) == [(1,)]
    assert rig.query("SELECT COUNT(*) FROM inventory_inventory WHERE name = %s", (lost_name,)) == [(0,)]


@pytest.mark.slow
def test_writes_in_flight_when_the_database_goes_away_are_kept_exactly_once_or_not_at_all(healthy):
    rig = healthy
    tag = uuid.uuid4().hex[:8]
    bodies = [
        {"name": f"Flight {n}", "email": f"flight-{tag}-{n}@shop.example", "phone": str(n), "salary": n}
        for n in range(60)
    ]
    done, lock = [0], threading.Lock()

    def create(body):
        response = rig.server.staff("POST", "/mechanics", body)
        with lock:
            done[0] += 1
            if done[0] == 20:  # the database goes away with about 20 writes still in flight
                rig.database_proxy.cut()
        return response

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(create, bodies))
    finally:
        if not rig.database_proxy.is_up:
            rig.database_proxy.restore()

    statuses = [r.status for r in responses]
    assert set(statuses) == {201, 503}, statuses
    assert all(r.body == DB_DOWN for r in responses if r.status == 503)
    rows = rig.query(
        "SELECT email, name, phone, salary FROM mechanics_mechanic WHERE email LIKE %s", (f"flight-{tag}-%",)
    )
    stored = {email: (name, phone, float(salary)) for email, name, phone, salary in rows}
    assert len(stored) == len(rows), "a write was stored twice"
    for body, response in zip(bodies, responses, strict=True):
        expected = (body["name"], body["phone"], float(body["salary"]))
        if response.status == 201:  # acknowledged: there, exactly as sent
            assert stored.pop(body["email"]) == expected
        elif body["email"] in stored:  # refused mid-commit: there whole, or not at all
            assert stored.pop(body["email"]) == expected
    assert stored == {}


# --- Redis goes away --------------------------------------------------------------------------


@pytest.mark.slow
def test_while_redis_is_down_reads_come_from_the_database_and_writes_succeed(healthy):
    rig = healthy
    mechanic = rig.new_mechanic()
    path = f"/mechanics/{mechanic['id']}"
    assert [is_hit(rig.server.staff("GET", path)) for _ in range(2)] == [False, True]

    with live.cut(rig.cache_proxy):
        started = time.monotonic()
        read = rig.server.staff("GET", path)
        assert (read.status, read.body, is_hit(read)) == (200, mechanic, False)
        changed = rig.server.staff("PATCH", path, {"name": "Renamed while Redis was down"})
        assert (changed.status, changed.body["name"]) == (200, "Renamed while Redis was down")
        for _ in range(4):  # each worker reads what the database holds, not a cached copy
            read = rig.server.staff("GET", path)
            assert (read.status, read.body["name"], is_hit(read)) == (200, "Renamed while Redis was down", False)
        item = rig.server.staff("POST", "/inventory", {"name": f"Part {uuid.uuid4().hex[:8]}", "price": 2})
        assert item.status == 201
        assert item.body in rig.server.request("GET", "/inventory").body
        health = rig.server.request("GET", "/healthz")
        assert (health.status, health.body["database"]) == (503, "ok")
        assert health.body["cache"].startswith("error: ") and "cache" in health.body["error"]
        # Refused connections fail at once; the socket timeouts bound a stalled Redis.
        assert time.monotonic() - started < 10

    renamed = rig.server.staff("PATCH", path, {"name": "Renamed after"})
    assert renamed.status == 200
    reads = [rig.server.staff("GET", path) for _ in range(2)]
    assert [(r.body["name"], is_hit(r)) for r in reads] == [("Renamed after", False), ("Renamed after", True)]


@pytest.mark.slow
def test_while_redis_is_down_scoped_limits_fail_open_and_sign_in_fails_closed(healthy):
    rig = healthy
    daily_window_is_safe()
    statuses = [rig.server.staff("GET", "/mechanics").status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # mechanics_list=3/day holds while Redis is up
    credentials = {"username": live.STAFF_USERNAME, "password": live.STAFF_PASSWORD}

    with live.cut(rig.cache_proxy):
        listed = [rig.server.staff("GET", "/mechanics") for _ in range(6)]
        assert [r.status for r in listed] == [200] * 6
        expected = rig.query("SELECT id FROM mechanics_mechanic ORDER BY id")
        assert [[m["id"] for m in r.body] for r in listed] == [[row[0] for row in expected]] * 6
        for path, body in [
            ("/auth/login", credentials),
            ("/customers/login", {"email": "a@example.com", "password": "x"}),
        ]:
            refused = rig.server.request("POST", path, body)
            assert (refused.status, refused.body, refused.headers.get("retry-after")) == (503, LOGIN_DOWN, "10")

    # The counts kept in Redis are back with it: the limit holds again, sign-in works again.
    assert rig.server.staff("GET", "/mechanics").status == 429
    assert rig.server.request("POST", "/auth/login", credentials).status == 200


@pytest.mark.slow
def test_a_redis_that_hangs_costs_a_request_its_socket_timeout_not_minutes(healthy):
    rig = healthy
    mechanic = rig.new_mechanic()
    path = f"/mechanics/{mechanic['id']}"
    credentials = {"username": live.STAFF_USERNAME, "password": live.STAFF_PASSWORD}

    with live.stalled(rig.cache_proxy):
        timings = []
        for method, call_path, body, token, status in [
            ("GET", path, None, rig.server.token, 200),
            ("GET", "/healthz", None, None, 503),
            ("POST", "/auth/login", credentials, None, 503),
        ]:
            started = time.monotonic()
            response = rig.server.request(method, call_path, body, token, timeout=30)
            timings.append((method, call_path, round(time.monotonic() - started, 1)))
            assert response.status == status, response.body
        assert response.body == LOGIN_DOWN
        # settings.py: socket_connect_timeout 1 s, socket_timeout 2 s: "a Redis that is down or
        # stalled costs a request at most a second or two", not a timeout per cache call.
        assert all(seconds < 4.5 for _, _, seconds in timings), timings

    assert rig.server.staff("GET", path).body == mechanic


# --- Huge bodies and slow clients -------------------------------------------------------------


def raw_connection(rig: Rig, timeout: float = RECOVERY_SECONDS) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", rig.server.port))
    sock.settimeout(timeout)
    return sock


def post_head(path: str, length: int, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def still_open(sock: socket.socket) -> bool:
    """True while the server has neither answered nor closed the connection."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True  # nothing to read yet
    except OSError:
        return False
    finally:
        sock.settimeout(timeout)
    return False  # an answer, or the end of the connection


def send_quietly(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass


def padded_sign_up(size: int) -> bytes:
    """A sign-up body of exactly `size` bytes (its name too long to be valid)."""
    head = b'{"email": "big@example.com", "phone": "1", "password": "Big-Body-Pass-42", "name": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


@pytest.mark.slow
@pytest.mark.parametrize(
    ("size", "send_body", "status"),
    [
        (BODY_LIMIT, True, 400),  # read and validated: the name is too long
        (BODY_LIMIT + 1, True, 413),
        (BODY_LIMIT + 1, False, 413),  # refused on its Content-Length, without waiting for it
        (50 * BODY_LIMIT, False, 413),
    ],
)
def test_a_body_over_one_mebibyte_is_refused_with_413_json(healthy, size, send_body, status):
    sock = raw_connection(healthy)
    try:
        sock.sendall(post_head("/customers", size))
        if send_body:
            # Sent alongside: a server that refuses the body stops reading it.
            sender = threading.Thread(target=send_quietly, args=(sock, padded_sign_up(size)), daemon=True)
            sender.start()
        reply = read_until_closed(sock)
    finally:
        sock.close()
    assert reply.startswith(f"HTTP/1.1 {status} ".encode()), reply[:200]
    assert b"\r\nContent-Type: application/json\r\n" in reply
    if status == 413:
        assert reply.endswith(b'{"error":"The request body is too large."}')


@pytest.mark.slow
def test_stalled_and_trickling_clients_hold_one_worker_each_until_the_timeout_frees_it(healthy):
    rig = healthy
    stalled_head = raw_connection(rig)
    stalled_head.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127")  # never finishes its headers
    stalled_body = raw_connection(rig)
    stalled_body.sendall(post_head("/customers", 200) + b'{"name": "Slo')  # never finishes its body
    trickling = raw_connection(rig)
    trickling.sendall(post_head("/customers", 200))
    trickle_done = threading.Event()
    sent = [0]

    def trickle():
        # One byte every half second: 100 s for the whole body, far past the worker timeout.
        try:
            while sent[0] < 200 and not trickle_done.wait(0.5):
                trickling.sendall(b" ")
                sent[0] += 1
        except OSError:
            pass  # closed by the server

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    started = time.monotonic()
    try:
        # Three of four workers are held; the fourth serves everyone else meanwhile.
        for _ in range(10):
            assert rig.server.request("GET", "/inventory", timeout=5).status == 200
        assert all(still_open(sock) for sock in (stalled_head, stalled_body, trickling))

        replies = [read_until_closed(sock) for sock in (stalled_head, stalled_body, trickling)]
    finally:
        trickle_done.set()
        trickler.join(timeout=10)
        for sock in (stalled_head, stalled_body, trickling):
            sock.close()
    assert time.monotonic() - started < RECOVERY_SECONDS
    assert sent[0] < 200, "the trickling client was served to the end"
    # gunicorn answers a request its timeout aborted with its own 500 page, if with anything.
    assert all(reply == b"" or not reply.startswith(b"HTTP/1.1 2") for reply in replies), replies
    assert rig.server.request("GET", "/inventory").status == 200


@pytest.mark.slow
def test_with_every_worker_held_by_a_stalled_client_the_server_frees_itself(healthy):
    """Whether the worker gives up reading or gunicorn's arbiter kills it (both after
    GUNICORN_TIMEOUT), the stalled connections end and the next client is served."""
    rig = healthy
    stalled = [raw_connection(rig) for _ in range(4)]
    for sock in stalled:
        sock.sendall(post_head("/customers", 200) + b"{")
    started = time.monotonic()
    try:
        served = rig.server.request("GET", "/inventory", timeout=RECOVERY_SECONDS)
        waited = time.monotonic() - started
        replies = [read_until_closed(sock) for sock in stalled]
    finally:
        for sock in stalled:
            sock.close()
    assert served.status == 200
    assert waited < RECOVERY_SECONDS
    assert time.monotonic() - started < RECOVERY_SECONDS
    assert all(reply == b"" or not reply.startswith(b"HTTP/1.1 2") for reply in replies), replies


# --- The same mapping, in-process -------------------------------------------------------------


def wrapped(django_error: type[Exception], cause: BaseException) -> Exception:
    """A Django database error wrapping a driver's, as Django raises them."""
    error = django_error(*cause.args)
    error.__cause__ = cause
    return error


def psycopg_error(name: str) -> BaseException:
    psycopg = pytest.importorskip("psycopg")
    return (
        getattr(psycopg.errors, name)("from the test")
        if name != "OperationalError"
        else psycopg.OperationalError("connection failed")
    )


def mysql_error(code: int) -> BaseException:
    MySQLdb = pytest.importorskip("MySQLdb")
    return MySQLdb.OperationalError(code, "from the test")


@pytest.mark.parametrize(
    ("make_error", "expected"),
    [
        (lambda: wrapped(OperationalError, psycopg_error("OperationalError")), UNAVAILABLE),
        (lambda: wrapped(OperationalError, psycopg_error("AdminShutdown")), UNAVAILABLE),
        (lambda: wrapped(OperationalError, psycopg_error("DeadlockDetected")), CONFLICT),
        (lambda: wrapped(OperationalError, psycopg_error("SerializationFailure")), CONFLICT),
        (lambda: wrapped(OperationalError, psycopg_error("LockNotAvailable")), CONFLICT),
        (lambda: wrapped(OperationalError, mysql_error(2013)), UNAVAILABLE),  # lost connection
        (lambda: wrapped(OperationalError, mysql_error(2003)), UNAVAILABLE),  # cannot connect
        (lambda: wrapped(OperationalError, mysql_error(1040)), UNAVAILABLE),  # too many connections
        (lambda: wrapped(OperationalError, mysql_error(1213)), CONFLICT),  # deadlock
        (lambda: wrapped(OperationalError, mysql_error(1205)), CONFLICT),  # lock wait timeout
        (lambda: wrapped(OperationalError, mysql_error(1054)), None),  # unknown column: a bug
        (lambda: wrapped(OperationalError, sqlite3.OperationalError("database is locked")), UNAVAILABLE),
        (lambda: wrapped(InterfaceError, Exception("connection already closed")), UNAVAILABLE),
        (lambda: IntegrityError("duplicate key"), None),
        (lambda: ProgrammingError("syntax error"), None),
        (lambda: ValueError("not a database error"), None),
    ],
)
def test_database_errors_are_told_apart(make_error, expected):
    assert database_failure(make_error()) == expected


def test_the_api_exception_handler_answers_an_unreachable_database_with_503_and_retry_after():
    response = api_exception_handler(wrapped(OperationalError, ConnectionRefusedError(111, "refused")), {})
    assert (response.status_code, response.data, response["Retry-After"]) == (503, DB_DOWN, "5")


def test_the_api_exception_handler_answers_a_deadlock_with_409():
    response = api_exception_handler(wrapped(OperationalError, mysql_error(1213)), {})
    assert (response.status_code, response.data) == (
        409,
        {"error": "The request conflicts with a concurrent change; try again."},
    )


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/customers", "application/json", json.dumps(DB_DOWN)),
        ("/admin/login/", "text/plain; charset=utf-8", DB_DOWN["error"]),
    ],
)
def test_a_database_outage_outside_the_api_views_is_a_503_too(rf, path, content_type, body):
    middleware = JsonErrorMiddleware(lambda request: None)

    response = middleware.process_exception(rf.get(path), wrapped(OperationalError, ConnectionResetError(104, "reset")))

    assert (response.status_code, response["Content-Type"], response.content.decode()) == (503, content_type, body)
    assert response["Retry-After"] == "5"
    assert middleware.process_exception(rf.get(path), ValueError("a bug")) is None


@pytest.fixture
def redis_unreachable(redis_unreachable, settings):
    settings.THROTTLING_ENABLED = True


@pytest.mark.django_db
def test_without_a_cache_a_cached_read_is_built_from_the_database_and_a_write_succeeds(
    redis_unreachable, staff_client, make_mechanic
):
    mechanic = make_mechanic()

    reads = [staff_client.get(f"/mechanics/{mechanic.pk}") for _ in range(2)]
    changed = staff_client.patch(f"/mechanics/{mechanic.pk}", {"name": "Cacheless"}, format="json")
    reread = staff_client.get(f"/mechanics/{mechanic.pk}")

    assert [(r.status_code, r.json()["name"], r.has_header("Age")) for r in reads] == [(200, mechanic.name, False)] * 2
    assert changed.status_code == 200
    assert (reread.status_code, reread.json()["name"]) == (200, "Cacheless")


@pytest.mark.django_db
def test_without_a_cache_health_is_503_naming_the_cache(redis_unreachable, api_client):
    response = api_client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "ok" and response.json()["cache"].startswith("error: ")
    assert "cache" in response.json()["error"]


def test_a_password_change_is_refused_while_the_account_cache_is_down(
    redis_cache, settings, customer, client_for, staff_client
):
    """API.md: a password change ends every token issued before it. The signed-in account is
    cached (accounts/principals.py); a change the cache cannot hear of would let the old token
    back in once the cache returns with its old data, so it is refused (503) and nothing changes."""
    old = client_for(customer)
    url = f"/customers/{customer.pk}"
    assert old.get(url).status_code == 200  # the account is cached now
    working = settings.CACHES

    settings.CACHES = {
        alias: {**config, "LOCATION": f"redis://127.0.0.1:{live.free_port()}/0"} for alias, config in working.items()
    }
    # By staff: the owner's own change checks the current password under the sign-in limits,
    # which fail closed without their store.
    changed = staff_client.patch(url, {"password": "Changed-In-Outage-42"}, format="json")
    settings.CACHES = working

    assert changed.status_code == 503, changed.content
    assert changed.headers["Retry-After"] == "10"
    customer.refresh_from_db()
    assert customer.check_password(conftest.CUSTOMER_PASSWORD) and not customer.check_password("Changed-In-Outage-42")
    assert old.get(url).status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/customers/login", "/customers"])
def test_a_chunked_body_without_a_length_is_refused_with_411_json(healthy, path):
    """gunicorn decodes a chunked body, but Django reads Content-Length bytes of a body and would
    see none: the caller gets a clear 411, not a misleading "this field is required"."""
    body = b'{"email": "chunked@example.com", "password": "Chunked-Pass-42", "name": "Chunked", "phone": "1"}'
    sock = raw_connection(healthy)
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
            + f"{len(body):x}\r\n".encode()
            + body
            + b"\r\n0\r\n\r\n"
        )
        reply = read_until_closed(sock)
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 411 "), reply[:200]
    assert b"\r\nContent-Type: application/json\r\n" in reply
    assert b"A request body needs a Content-Length header (chunked bodies are not accepted)." in reply
