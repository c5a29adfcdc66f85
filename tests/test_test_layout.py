"""No module imports a test module (team guide: "no test module imports helpers from another test
module"). Shared helpers live in non-test modules (an app's tests/factories.py or tests/helpers.py,
tests/asserts.py, tests/live.py, tests/concurrency.py) and fixtures in conftest.py, so a test module
can be moved, split or deleted without breaking another one."""

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SKIPPED = {".venv", "var", "node_modules"}


def is_test_module(name: str) -> bool:
    return name.split(".")[-1].startswith("test_")


def imported_test_modules(source: str) -> list[str]:
    """The test modules a Python source imports, or imports names from."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if any(map(is_test_module, alias.name.split(".")))]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if any(is_test_module(part) for part in (node.module or "").split(".")):
                found.append(module)
            else:  # `from tickets.tests import test_api`
                found += [f"{module}.{alias.name}" for alias in node.names if is_test_module(alias.name)]
    return found


def project_sources() -> list[Path]:
    return [path for path in sorted(PROJECT.rglob("*.py")) if not SKIPPED & set(path.relative_to(PROJECT).parts)]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from tickets.tests.test_api import ticket_json", ["tickets.tests.test_api"]),
        ("from .test_query_counts import TICKET_PAGE_QUERIES", [".test_query_counts"]),
        ("from tickets.tests import test_services", ["tickets.tests.test_services"]),
        ("import tests.test_concurrency_live as races", ["tests.test_concurrency_live"]),
        ("def f():\n    from tests.test_smoke import x\n", ["tests.test_smoke"]),
        ("from tickets.tests.helpers import ticket_json\nfrom tests import live\nimport pytest", []),
        ("from tests.concurrency import run_concurrently\nfrom tickets.tests.factories import TicketFactory", []),
    ],
)
def test_the_check_finds_imports_of_test_modules(source, found):
    assert imported_test_modules(source) == found


def test_no_module_imports_a_test_module():
    sources = project_sources()
    offending = {
        str(path.relative_to(PROJECT)): names for path in sources if (names := imported_test_modules(path.read_text()))
    }

    assert offending == {}, "move shared helpers to a non-test module or a conftest.py fixture"
    assert sum(path.name.startswith("test_") for path in sources) > 50  # the scan sees the test modules
