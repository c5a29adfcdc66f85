"""The locked requirements (README "Dependencies and the toolchain"): every package named in a
hand-written requirements*.in is pinned with hashes in its compiled requirements*.txt, and every
package the code or the tests import is named in a .in file, not left to arrive with another one."""

import ast
import re
import sys
import uuid
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
LOCKS = {"requirements.in": "requirements.txt", "requirements-dev.in": "requirements-dev.txt"}
LOCKS["requirements-mysql.in"] = "requirements-mysql.txt"
# Modules of packages this checkout may not have installed (mysqlclient needs the client headers).
NOT_ALWAYS_INSTALLED = {"MySQLdb": "mysqlclient"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def named_in(in_file: str) -> set[str]:
    """The packages a .in file names itself (not those of the files it includes with -r)."""
    names = set()
    for line in (PROJECT / in_file).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(normalized(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)[0]))
    return names


PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)")


def pins(lock_file: str) -> dict[str, tuple[str, bool]]:
    """{package: (pinned version, whether the pin carries hashes)} of a compiled lock file."""
    found, name = {}, None
    for line in (PROJECT / lock_file).read_text().splitlines():
        if match := PIN.match(line):
            name = normalized(match[1])
            found[name] = (match[2], False)
        elif name and line.strip().startswith("--hash=sha256:"):
            found[name] = (found[name][0], True)
    return found


@pytest.mark.parametrize(("in_file", "lock_file"), list(LOCKS.items()))
def test_every_hand_written_requirement_is_locked_with_hashes(in_file, lock_file):
    locked = pins(lock_file)
    wanted = named_in(in_file) | (named_in("requirements.in") if in_file == "requirements-dev.in" else set())

    assert wanted - set(locked) == set(), f"not in {lock_file}: run `make lock`"
    assert locked and [name for name, (_, hashed) in locked.items() if not hashed] == []


def test_the_dev_lock_pins_what_the_runtime_lock_pins_at_the_same_versions():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")

    assert {name: dev.get(name) for name in runtime} == runtime


def imported_modules() -> set[str]:
    """The top-level modules every Python file of the project imports (app code, tests, bench)."""
    modules = set()
    for path in PROJECT.rglob("*.py"):
        if {".venv", "var", "node_modules"} & set(path.relative_to(PROJECT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def test_every_imported_package_is_declared():
    first_party = {path.parent.name for path in PROJECT.glob("*/*.py")} | {path.stem for path in PROJECT.glob("*.py")}
    third_party = imported_modules() - set(sys.stdlib_module_names) - first_party
    distributions = packages_distributions()
    declared = set().union(*(named_in(in_file) for in_file in LOCKS))

    undeclared = {}
    for module in sorted(third_party):
        names = distributions.get(module) or [NOT_ALWAYS_INSTALLED.get(module, f"<{module}: not installed>")]
        if not {normalized(name) for name in names} & declared:
            undeclared[module] = names
    assert undeclared == {}, "imported but named in no requirements*.in"
    assert {"django", "pytest", "hypothesis"} <= third_party  # the scan sees imports at all


# --- test processes sharing one Redis database (pytest-xdist's workers) ----------------------------


@pytest.mark.redis
def test_clearing_a_test_cache_on_redis_removes_its_own_keys_only():
    from tests.caches import NamespacedRedisCache
    from tests.live import REDIS_URL, require_redis

    require_redis()
    namespace = f"isolation-{uuid.uuid4().hex}"
    mine, my_limits = (NamespacedRedisCache(REDIS_URL, {"KEY_PREFIX": p}) for p in (namespace, f"{namespace}:limits"))
    other_process = NamespacedRedisCache(REDIS_URL, {"KEY_PREFIX": f"{namespace}0"})
    try:
        for cache in (mine, my_limits, other_process):
            cache.set("key", "value", timeout=60)

        mine.clear()

        assert (mine.get("key"), my_limits.get("key")) == (None, None)  # every alias of this process
        assert other_process.get("key") == "value"
    finally:
        other_process.clear()
