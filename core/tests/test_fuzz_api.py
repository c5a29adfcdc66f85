"""Property-based fuzzing of the running API against its own OpenAPI document (schemathesis).

A real gunicorn server (DEBUG off, throttling off) serves a seeded SQLite file of its own; every
documented operation gets generated requests, valid and invalid, sent with a customer's token
and with a staff token. Each response must be no 5xx, have a status code the operation documents,
a documented content type and headers, and a body that matches the documented schema.

The run is bounded (a fixed number of examples per operation, derandomized with a fixed seed)
so CI stays reproducible and fast; the number of requests sent is printed at the end.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
GUNICORN = PROJECT / ".venv" / "bin" / "gunicorn"
STAFF_USERNAME, STAFF_PASSWORD = "admin", "shop-admin-demo"  # created by seed_shop
CUSTOMER_PASSWORD = "demo-customer-pass"
STARTUP_SECONDS = 60
# Examples per operation in the fuzzing phase; FUZZ_MAX_EXAMPLES=500 for a longer hunt by hand.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "30"))
SEED = 20261125

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
HYPOTHESIS_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

responses_seen: Counter = Counter()  # (role, status code) -> requests
current_role = {"name": "none"}  # who is calling now, for the after_call hook's count


def server_env(tmp: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CACHE_URL", "THROTTLE_RATES", "NUM_PROXIES"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mechanic_shop.settings",
        SECRET_KEY="fuzz-test-secret-key-0123456789abcdef-not-for-production",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        THROTTLING_ENABLED="false",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        CACHE_URL=f"filecache://{tmp / 'cache'}",
        REQUEST_LOG_LEVEL="WARNING",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(port: int, method: str, path: str, body: dict | None = None, token: str | None = None):
    """(status, parsed JSON body) of one plain request, for setting up the run."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def wait_until_healthy(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if call(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"the server did not become healthy:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    """Base URL of a gunicorn server (2 workers) on a freshly seeded database."""
    tmp = tmp_path_factory.mktemp("fuzz")
    env = server_env(tmp)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "seed_shop", "--customers", "20", "--mechanics", "5", "--tickets", "50", "--parts", "20", "--seed", "1")
    port, log = free_port(), tmp / "server.log"
    config = tmp / "gunicorn.conf.py"
    # Not the project's gunicorn.conf.py: these settings are the test's. gunicorn answers an
    # over-long request line itself (414, an HTML page) before Django sees it; lifting that limit
    # lets every generated URL, however long, reach the application whose contract is checked.
    config.write_text("limit_request_line = 0\n")
    process = subprocess.Popen(
        [str(GUNICORN), "mechanic_shop.wsgi:application", "-c", str(config), "-b", f"127.0.0.1:{port}", "-w", "2", "--no-control-socket"],
        cwd=PROJECT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_healthy(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if log.stat().st_size:
            print(f"\n--- server log (tail) ---\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module", autouse=True)
def report_request_count(request):
    """Report how many requests were fuzzed and what they got, in pytest's closing summary."""
    started = time.monotonic()
    yield
    lines = [f"fuzzed requests: {sum(responses_seen.values())} in {time.monotonic() - started:.0f}s"]
    for role in sorted({role for role, _ in responses_seen}):
        codes = sorted((code, n) for (who, code), n in responses_seen.items() if who == role)
        lines.append(f"  {role}: {sum(n for _, n in codes)} ({', '.join(f'{code}: {n}' for code, n in codes)})")
    request.config.pluginmanager.register(FuzzSummary(lines), "fuzz-summary")


class FuzzSummary:
    """A plugin registered at the end of the module: output there is not captured."""

    def __init__(self, lines: list[str]):
        self.lines = lines

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.write_sep("-", "schemathesis")
        for line in self.lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def tokens(fuzz_server) -> dict[str, str]:
    status, body = call(fuzz_server, "POST", "/auth/login", {"username": STAFF_USERNAME, "password": STAFF_PASSWORD})
    assert status == 200, body
    staff = body["auth_token"]
    # A customer with tickets: tickets are never deleted, so no fuzzed DELETE can remove this
    # customer and void the token halfway through the run.
    status, tickets = call(fuzz_server, "GET", "/tickets?page=1&per_page=1", token=staff)
    assert status == 200 and tickets, tickets
    status, customer = call(fuzz_server, "GET", f"/customers/{tickets[0]['customer_id']}", token=staff)
    assert status == 200, customer
    status, body = call(fuzz_server, "POST", "/customers/login", {"email": customer["email"], "password": CUSTOMER_PASSWORD})
    assert status == 200, body
    return {"customer": body["auth_token"], "staff": staff}


def load_schema():
    """The OpenAPI document, generated as /api/schema/ generates it.

    Test items are made per operation when the module is collected, before any server runs;
    `test_the_served_document_is_the_one_fuzzed` proves the server serves this same document.
    """
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


DOCUMENT = load_schema()
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # Valid and invalid requests; examples from the document, boundary values, then fuzzing.
            "generation": {"mode": "all", "deterministic": True},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


@schema.hook
def after_call(context, case, response) -> None:
    responses_seen[current_role["name"], response.status_code] += 1


def fuzz(case, port: int, token: str, role: str) -> None:
    current_role["name"] = role
    case.call_and_validate(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {token}"},
        checks=CHECKS,
        timeout=30,
    )


def test_the_served_document_is_the_one_fuzzed(fuzz_server):
    status, served = call(fuzz_server, "GET", "/api/schema/?format=json")
    assert status == 200
    assert served == DOCUMENT


# The customer runs first: the staff run deletes and rewrites data the customer run relies on.
@schema.parametrize()
@HYPOTHESIS_SETTINGS
def test_api_as_a_customer_keeps_its_documented_contract(case, fuzz_server, tokens):
    fuzz(case, fuzz_server, tokens["customer"], "customer")


@schema.parametrize()
@HYPOTHESIS_SETTINGS
def test_api_as_staff_keeps_its_documented_contract(case, fuzz_server, tokens):
    fuzz(case, fuzz_server, tokens["staff"], "staff")
