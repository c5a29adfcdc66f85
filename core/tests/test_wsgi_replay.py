"""The production WSGI application (core.wsgi in front of Django): a cached read Django has
answered is replayed, with Django's own status and headers, to callers Django would have
answered alike, and never otherwise. Each test calls the application as a WSGI server does."""

import json
import logging
import re
import time
from dataclasses import dataclass

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory

from conftest import settled_token
from core.caching import STORED_RESPONSE_ENVIRON_KEY
from core.throttling import ScopedRateThrottle
from core.wsgi import StoredResponseApplication

pytestmark = pytest.mark.usefixtures("private_file_cache", "throttling_off")

AN_HOUR_LATER = 3600


@dataclass
class Answer:
    status: str
    headers: dict[str, str]
    body: bytes
    through_django: bool

    @property
    def code(self) -> int:
        return int(self.status.split()[0])

    def json(self):
        return json.loads(self.body)


class DjangoCalls:
    """Django's WSGI handler, counting the requests that reach it."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.count = 0

    def __call__(self, environ, start_response):
        self.count += 1
        return self.handler(environ, start_response)


class Server:
    """Calls the WSGI application the way gunicorn does."""

    def __init__(self, clock):
        self.django = DjangoCalls()
        self.application = StoredResponseApplication(self.django, clock=clock)

    def request(self, method: str, path: str, token: str | None = None, secure: bool = False,
                script_name: str | None = None, **headers) -> Answer:
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        environ = RequestFactory().generic(method, path, secure=secure, **headers).environ
        if script_name is not None:
            environ["SCRIPT_NAME"] = script_name  # as the server passes it (RequestFactory's was decoded)
        started: list = []
        calls_before = self.django.count
        chunks = self.application(environ, lambda status, header_list, exc_info=None: started.append((status, header_list)))
        body = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        (status, header_list), = started
        return Answer(status, dict(header_list), body, self.django.count > calls_before)

    def get(self, path: str, token: str | None = None, **headers) -> Answer:
        return self.request("GET", path, token, **headers)


@pytest.fixture(autouse=True)
def connection_kept_open():
    # Django's test client does the same: a request must not close the connection the test's
    # transaction runs in (on PostgreSQL and MariaDB it would, at the end of every request).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def server() -> Server:
    return Server(clock=lambda: time.time() + AN_HOUR_LATER)


@pytest.fixture
def staff_token(store, staff_user) -> str:
    return settled_token(staff_user)


def without_cache_status(answer: Answer) -> dict[str, str]:
    return {name: value for name, value in answer.headers.items() if name not in ("X-Cache", "Age")}


def warm(server: Server, path: str, token: str | None) -> Answer:
    """The miss Django answers (the front remembers its headers)."""
    miss = server.get(path, token)
    assert (miss.code, miss.headers.get("X-Cache"), miss.through_django) == (200, "miss", True), miss.body[:300]
    return miss


# --- replayed --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/mechanics/{m}", "/mechanics", "/mechanics?page=1&per_page=1", "/customers/{c}", "/tickets"])
def test_a_warmed_read_is_replayed_with_djangos_headers_without_entering_django(
    server, staff_token, make_mechanic, make_customer, django_assert_num_queries, url
):
    mechanic, _ = make_mechanic(), make_mechanic()
    url = url.format(m=mechanic.pk, c=make_customer().pk)
    miss = warm(server, url, staff_token)

    with django_assert_num_queries(0):
        replayed = server.get(url, staff_token)

    assert not replayed.through_django
    assert (replayed.status, replayed.body) == (miss.status, miss.body)
    assert without_cache_status(replayed) == without_cache_status(miss)
    assert replayed.headers["X-Cache"] == "hit"
    assert AN_HOUR_LATER <= int(replayed.headers["Age"]) <= AN_HOUR_LATER + 60
    assert {"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Length"} <= set(replayed.headers)
    assert replayed.headers["Content-Length"] == str(len(replayed.body))


def test_a_customer_is_replayed_their_own_record(server, store, make_customer):
    customer = make_customer(name="Ada Lovelace")
    token = settled_token(customer)
    miss = warm(server, f"/customers/{customer.pk}", token)

    replayed = server.get(f"/customers/{customer.pk}", token)

    assert (replayed.through_django, replayed.body) == (False, miss.body)


def test_https_replays_carry_djangos_hsts_header_and_plain_http_is_still_redirected(staff_token, make_mechanic, settings):
    settings.SECURE_SSL_REDIRECT = True
    server = Server(clock=time.time)  # Django's middleware reads the setting when it is built
    url = f"/mechanics/{make_mechanic().pk}"
    miss = server.request("GET", url, staff_token, secure=True)
    assert (miss.code, miss.headers["X-Cache"]) == (200, "miss")

    replayed = server.request("GET", url, staff_token, secure=True)
    plain = server.request("GET", url, staff_token, secure=False)

    assert not replayed.through_django
    assert replayed.headers["Strict-Transport-Security"] == miss.headers["Strict-Transport-Security"]
    assert (plain.code, plain.through_django) == (301, True)
    assert plain.headers["Location"].startswith("https://")


def test_the_request_log_records_replays(server, staff_token, staff_user, make_mechanic, caplog):
    url = f"/mechanics/{make_mechanic().pk}"
    warm(server, url, staff_token)

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mechanic_shop.requests"):
        replayed = server.get(url, staff_token)

    assert not replayed.through_django
    (record,) = [r for r in caplog.records if r.name == "mechanic_shop.requests"]
    assert {key: record.fields[key] for key in ("method", "path", "status", "cache", "principal")} == {
        "method": "GET", "path": url, "status": 200, "cache": "hit", "principal": staff_user.pk,
    }


# --- never wider than Django -------------------------------------------------------------------


def test_a_staff_warmed_read_goes_to_django_for_a_customer_no_token_and_bad_tokens(server, staff_token, customer, make_mechanic):
    url = f"/mechanics/{make_mechanic(name='Marvin Wrench').pk}"
    warm(server, url, staff_token)
    assert server.get(url, staff_token).through_django is False

    answers = {
        "customer": server.get(url, settled_token(customer)),
        "no token": server.get(url),
        "garbage token": server.get(url, "garbage"),
        "basic auth": server.get(url, HTTP_AUTHORIZATION="Basic YWRtaW46YWRtaW4="),
    }

    assert {name: (a.code, a.through_django) for name, a in answers.items()} == {
        "customer": (403, True), "no token": (401, True), "garbage token": (401, True), "basic auth": (401, True),
    }
    assert not any(b"Marvin" in a.body for a in answers.values())


def test_another_customers_record_goes_to_django(server, store, make_customer):
    owner, other = make_customer(name="Alice Secret"), make_customer()
    warm(server, f"/customers/{owner.pk}", settled_token(owner))

    answer = server.get(f"/customers/{owner.pk}", settled_token(other))

    assert (answer.code, answer.through_django, b"Alice" in answer.body) == (403, True, False)


def test_a_principal_who_lost_access_goes_to_django(server, staff_token, staff_user, make_mechanic):
    url = f"/mechanics/{make_mechanic(name='Marvin Wrench').pk}"
    warm(server, url, staff_token)

    staff_user.is_staff = False
    staff_user.save()
    answer = server.get(url, staff_token)

    assert (answer.code, answer.through_django, b"Marvin" in answer.body) == (401, True, False)


@pytest.mark.parametrize(("headers", "code"), [({"HTTP_ACCEPT": "text/html"}, 406), ({"HTTP_HOST": "evil.example"}, 400)])
def test_what_django_would_refuse_goes_to_django(server, staff_token, make_mechanic, headers, code):
    url = f"/mechanics/{make_mechanic().pk}"
    warm(server, url, staff_token)

    answer = server.get(url, staff_token, **headers)

    assert (answer.code, answer.through_django) == (code, True)
    assert set(answer.json()) == {"error"}


def test_a_query_string_over_djangos_field_limit_gets_djangos_400(server, staff_token, make_mechanic):
    url = f"/mechanics/{make_mechanic().pk}"
    warm(server, url, staff_token)

    answer = server.get(f"{url}?{'&'.join(['a=1'] * 1001)}")

    assert (answer.code, answer.through_django) == (400, True)
    assert set(answer.json()) == {"error"}


def test_under_a_non_ascii_script_name_what_is_declined_still_reaches_django_intact(server, staff_token, make_mechanic):
    mounted_at = "/caf\u00c3\u00a9"  # b"/caf\xc3\xa9" ("/café" in UTF-8) as a WSGI server passes it
    url = f"/mechanics/{make_mechanic(name='Marvin Wrench').pk}"
    miss = server.request("GET", url, staff_token, script_name=mounted_at)
    assert (miss.code, miss.headers["X-Cache"]) == (200, "miss")

    replayed = server.request("GET", url, staff_token, script_name=mounted_at)
    no_token = server.request("GET", url, script_name=mounted_at)

    assert (replayed.code, replayed.through_django) == (200, False)
    assert (no_token.code, no_token.through_django, b"Marvin" in no_token.body) == (401, True, False)


def test_a_declined_request_is_looked_up_once(server, staff_token, customer, make_mechanic, monkeypatch):
    from core import caching, wsgi

    url = f"/mechanics/{make_mechanic().pk}"
    warm(server, url, staff_token)
    lookups = []
    real = caching.find_stored

    def counted(request):
        lookups.append(request.path)
        return real(request)

    monkeypatch.setattr(caching, "find_stored", counted)
    monkeypatch.setattr(wsgi, "find_stored", counted)

    assert server.get(url, settled_token(customer)).code == 403
    assert lookups == [url]


def test_a_user_agent_rule_turns_replays_off(staff_token, make_mechanic, settings):
    settings.DISALLOWED_USER_AGENTS = [re.compile("BadBot")]
    server = Server(clock=time.time)
    url = f"/mechanics/{make_mechanic().pk}"
    warm(server, url, staff_token)

    bot, person = server.get(url, staff_token, HTTP_USER_AGENT="BadBot/1.0"), server.get(url, staff_token)

    assert (bot.code, bot.through_django) == (403, True)
    assert (person.code, person.headers["X-Cache"], person.through_django) == (200, "hit", True)
    assert [message.id for message in run_checks()] == ["core.W001"]


def test_unknown_middleware_above_the_cached_reads_turns_replays_off(staff_token, make_mechanic, settings):
    settings.MIDDLEWARE = ["django.middleware.gzip.GZipMiddleware", *settings.MIDDLEWARE]
    server = Server(clock=time.time)
    url = f"/mechanics/{make_mechanic().pk}"
    warm(server, url, staff_token)

    assert server.get(url, staff_token).through_django
    (warning,) = run_checks()
    assert warning.id == "core.W001" and "GZipMiddleware" in warning.msg


def test_the_production_settings_replay():
    assert run_checks() == []


def test_sessions_for_csrf_tokens_are_refused_by_a_check(settings):
    settings.CSRF_USE_SESSIONS = True

    assert [message.id for message in run_checks()] == ["core.E001"]


def run_checks():
    from django.core import checks

    return [message for message in checks.run_checks() if message.id.startswith("core.")]


def test_a_query_parameter_the_key_ignores_goes_to_django(server, staff_token, make_mechanic):
    url = f"/mechanics/{make_mechanic().pk}"
    warm(server, url, staff_token)

    assert server.get(f"{url}?search=x", staff_token).through_django


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "DELETE"])
def test_other_methods_go_to_django(server, staff_token, make_mechanic, method):
    url = f"/mechanics/{make_mechanic().pk}"
    warm(server, url, staff_token)

    assert server.request(method, url, staff_token).through_django


def test_a_rate_limited_list_goes_to_django_while_limits_are_on(server, staff_token, make_mechanic, settings, monkeypatch):
    make_mechanic()
    warm(server, "/mechanics", staff_token)
    settings.THROTTLING_ENABLED = True
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_list": "2/hour"}
    monkeypatch.setattr(ScopedRateThrottle, "timer", staticmethod(lambda: 1_900_000_000))

    answers = [server.get("/mechanics", staff_token) for _ in range(3)]

    assert [(a.code, a.through_django) for a in answers] == [(200, True), (200, True), (429, True)]


# --- never older than a write ------------------------------------------------------------------


def test_the_read_after_a_write_goes_to_django_and_its_new_answer_is_replayed_next(server, staff_token, make_mechanic):
    mechanic = make_mechanic(name="Old Name")
    url = f"/mechanics/{mechanic.pk}"
    warm(server, url, staff_token)
    renamed = server.request("PATCH", url, staff_token, CONTENT_TYPE="application/json", **_json_body({"name": "New Name"}))
    assert renamed.code == 200

    after_write, replayed = server.get(url, staff_token), server.get(url, staff_token)

    assert (after_write.through_django, after_write.json()["name"]) == (True, "New Name")
    assert (replayed.through_django, replayed.body) == (False, after_write.body)


def test_a_response_another_process_rebuilt_goes_through_django_before_it_is_replayed(server, staff_token, make_mechanic):
    """Each server process remembers headers for the stored response it saw. After a write another
    process answers first, the stored response is a new one: its headers (Content-Length among
    them) must come from Django again, not from the old one's."""
    mechanic = make_mechanic(name="Short")
    url = f"/mechanics/{mechanic.pk}"
    warm(server, url, staff_token)
    other_process = Server(clock=time.time)
    mechanic.name = "A much longer name than before"
    mechanic.save()
    rebuilt = warm(other_process, url, staff_token)

    first, second = server.get(url, staff_token), server.get(url, staff_token)

    assert (first.through_django, first.headers["X-Cache"], first.body) == (True, "hit", rebuilt.body)
    assert (second.through_django, second.body) == (False, rebuilt.body)
    assert second.headers["Content-Length"] == str(len(rebuilt.body))


def _json_body(data: dict) -> dict:
    from io import BytesIO

    body = json.dumps(data).encode()
    return {"wsgi.input": BytesIO(body), "CONTENT_LENGTH": str(len(body))}


# --- what is remembered ------------------------------------------------------------------------


def test_a_response_that_sets_a_cookie_is_never_replayed():
    calls = []

    def app_setting_a_cookie(environ, start_response):
        calls.append(environ["PATH_INFO"])
        environ[STORED_RESPONSE_ENVIRON_KEY] = ("response:x", _Entry())
        start_response("200 OK", [("Content-Type", "application/json"), ("Set-Cookie", "sessionid=secret")])
        return [b"{}"]

    front = StoredResponseApplication(app_setting_a_cookie)
    for _ in range(2):
        environ = RequestFactory().get("/mechanics").environ
        front(environ, lambda *args: None)

    assert calls == ["/mechanics", "/mechanics"]
    assert front._paths == set()


@dataclass(frozen=True)
class _Entry:
    generation: str = "g"
    stored_at: float = 0.0
