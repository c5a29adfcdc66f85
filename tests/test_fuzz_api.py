"""Property-based fuzzing of the running API against its own OpenAPI document (schemathesis).

A real gunicorn server (DEBUG off, throttling off, the default diskcache store) serves a seeded
SQLite file of its own; every
documented operation gets generated requests, valid and invalid, sent with a customer's token
and with a staff token. Each response must be no 5xx, have a status code the operation documents,
a documented content type and headers, and a body that matches the documented schema.

The run is bounded (a fixed number of examples per operation, derandomized with a fixed seed)
so CI stays reproducible and fast; the number of requests sent is printed at the end.
"""

import json
import os
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

from tests import live

pytestmark = pytest.mark.slow

# With DEBUG off seed_shop makes no known logins: the staff user is live.py's, and the customer's
# password is set by that staff user through the API.
CUSTOMER_PASSWORD = "Fuzzed-Customer-Pass-42"
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
    return live.base_env(DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}", CACHE_DIR=str(tmp / "cache"))


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory) -> live.Server:
    """A gunicorn server (2 workers) on a freshly seeded database."""
    tmp = tmp_path_factory.mktemp("fuzz")
    env = server_env(tmp)
    live.migrate_with_staff(env)
    live.manage(
        env, "seed_shop", "--customers", "20", "--mechanics", "5", "--tickets", "50", "--parts", "20", "--seed", "1"
    )
    log = tmp / "server.log"
    config = tmp / "gunicorn.conf.py"
    # Not the project's gunicorn.conf.py: these settings are the test's. gunicorn answers an
    # over-long request line itself (414, an HTML page) before Django sees it; lifting that limit
    # lets every generated URL, however long, reach the application whose contract is checked.
    config.write_text("limit_request_line = 0\n")
    server = live.start_server(env, log, workers=2, config=config, extra_args=("--no-control-socket",))
    try:
        yield server
    finally:
        live.stop_server(server)
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
    staff = fuzz_server.login_staff()
    # A customer with tickets: tickets are never deleted, so no fuzzed DELETE can remove this
    # customer and void the token halfway through the run.
    tickets = fuzz_server.request("GET", "/tickets?page=1&per_page=1", token=staff)
    assert tickets.status == 200 and tickets.body, tickets.body
    customer = fuzz_server.request(
        "PATCH", f"/customers/{tickets.body[0]['customer_id']}", {"password": CUSTOMER_PASSWORD}, token=staff
    )
    assert customer.status == 200, customer.body
    login = fuzz_server.request(
        "POST", "/customers/login", {"email": customer.body["email"], "password": CUSTOMER_PASSWORD}
    )
    assert login.status == 200, login.body
    return {"customer": login.body["auth_token"], "staff": staff}


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


def fuzz(case, server: live.Server, token: str, role: str) -> None:
    current_role["name"] = role
    case.call_and_validate(
        base_url=f"http://127.0.0.1:{server.port}",
        headers={"Authorization": f"Bearer {token}"},
        checks=CHECKS,
        timeout=30,
    )


def test_the_served_document_is_the_one_fuzzed(fuzz_server):
    served = fuzz_server.request("GET", "/api/schema/?format=json")
    assert served.status == 200
    assert served.body == DOCUMENT


# The customer runs first: the staff run deletes and rewrites data the customer run relies on.
@schema.parametrize()
@HYPOTHESIS_SETTINGS
def test_api_as_a_customer_keeps_its_documented_contract(case, fuzz_server, tokens):
    fuzz(case, fuzz_server, tokens["customer"], "customer")


@schema.parametrize()
@HYPOTHESIS_SETTINGS
def test_api_as_staff_keeps_its_documented_contract(case, fuzz_server, tokens):
    fuzz(case, fuzz_server, tokens["staff"], "staff")
