"""One attempt against local receivers that answer well and badly; the SSRF guard at send time."""

import socket
import threading
import time

import pytest

from webhooks import sender
from webhooks.tests.receiver import Receiver, hold, reset, sequence, status, trickle

BODY = b'{"id":"e1","type":"customer.created","data":{}}'


def post(url: str, timeout: float = 5) -> sender.Outcome:
    return sender.post(url, body=BODY, headers={"webhook-id": "e1"}, timeout=timeout)


def test_a_2xx_is_delivered_with_the_body_and_headers_as_sent(receiver):
    outcome = post(receiver.url + "?token=abc")

    assert outcome == sender.Outcome(200, "")
    assert outcome.delivered
    [request] = receiver.requests
    assert request.body == BODY
    assert request.path == "/hook?token=abc"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "e1"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"


@pytest.mark.parametrize("code", [200, 201, 202, 204])
def test_every_2xx_counts(code):
    with Receiver(lambda n: status(code)) as server:
        assert post(server.url).delivered


@pytest.mark.parametrize("code", [400, 404, 410, 500, 503])
def test_other_statuses_fail_with_the_status(code):
    with Receiver(lambda n: status(code)) as server:
        outcome = post(server.url)
    assert outcome == sender.Outcome(code, f"The receiver answered {code}.")


@pytest.mark.parametrize("code", [301, 302, 307, 308])
def test_redirects_fail_and_are_not_followed(receiver, code):
    with Receiver(lambda n: status(code, headers={"Location": receiver.url})) as redirecting:
        outcome = post(redirecting.url)
    assert not outcome.delivered
    assert outcome.status_code == code
    assert "redirects are not followed" in outcome.error
    assert receiver.requests == []


def test_a_huge_body_is_not_read():
    with Receiver(lambda n: status(200, body=b"x" * (20 * 1024 * 1024))) as server:
        started = time.monotonic()
        outcome = post(server.url)
    assert outcome.delivered
    assert time.monotonic() - started < 5


def test_a_reset_connection_fails():
    with Receiver(lambda n: reset) as server:
        outcome = post(server.url)
    assert outcome.status_code is None
    assert "reset" in outcome.error or "closed the connection" in outcome.error


def test_a_refused_connection_fails():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert post(f"http://127.0.0.1:{port}/hook") == sender.Outcome(None, "Connection refused.")


def test_a_receiver_that_never_answers_is_given_up_on_at_the_timeout():
    released = threading.Event()
    with Receiver(lambda n: hold(released)) as server:
        started = time.monotonic()
        outcome = post(server.url, timeout=0.5)
        elapsed = time.monotonic() - started
        released.set()
    assert outcome == sender.Outcome(None, "No answer within 0.5 s.")
    assert elapsed < 3


def test_a_receiver_trickling_its_answer_is_given_up_on_at_the_timeout():
    """A byte every 50 ms keeps each read alive; only a deadline for the whole exchange stops it."""
    with Receiver(lambda n: trickle(0.05, total_bytes=400)) as server:
        started = time.monotonic()
        outcome = post(server.url, timeout=0.5)
        elapsed = time.monotonic() - started
    assert outcome == sender.Outcome(None, "No answer within 0.5 s.")
    assert elapsed < 3


def test_sequence_of_answers(receiver):
    with Receiver(sequence(status(500), status(200))) as server:
        assert not post(server.url).delivered
        assert post(server.url).delivered


# --- the guard at send time ---------------------------------------------------------------------


@pytest.fixture
def guarded(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_ALLOW_HTTP = False


@pytest.mark.parametrize("address", ["10.0.0.5", "169.254.169.254", "127.0.0.1", "::1", "fd00::5"])
def test_a_host_that_now_resolves_to_a_refused_address_is_not_contacted(guarded, resolve_as, no_connections, address):
    resolve_as({"hooks.example.com": [address]})

    outcome = post("https://hooks.example.com/in")

    assert not outcome.delivered
    assert outcome.error.startswith("Not sent: The host hooks.example.com resolves to")
    assert no_connections == []


def test_dns_that_changes_after_subscribing_is_checked_again(guarded, resolve_as, no_connections):
    from webhooks.addresses import check_url

    resolve_as({"hooks.example.com": ["93.184.216.34"]})
    assert check_url("https://hooks.example.com/in").addresses == ("93.184.216.34",)  # as at subscription

    resolve_as({"hooks.example.com": ["169.254.169.254"]})  # the name now points inside
    outcome = post("https://hooks.example.com/in")

    assert "link-local" in outcome.error
    assert no_connections == []


def test_plain_http_is_not_sent_unless_allowed(guarded, resolve_as, no_connections):
    resolve_as({"hooks.example.com": ["93.184.216.34"]})
    outcome = post("http://hooks.example.com/in")
    assert outcome.error == "Not sent: The URL must use https:// (http:// is not allowed here)."
    assert no_connections == []
