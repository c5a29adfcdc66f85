"""The README's development command: `make run` signs with a key of the checkout's own."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def make_env(directory: Path) -> str:
    subprocess.run(["make", "-s", "env", f"PYTHON={sys.executable}"], cwd=directory, check=True, capture_output=True)
    return (directory / ".env").read_text()


@pytest.fixture
def checkout(tmp_path) -> Path:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(PROJECT / "Makefile", tmp_path / "Makefile")
    return tmp_path


def test_make_env_writes_a_random_signing_key_once(checkout):
    first = make_env(checkout)
    again = make_env(checkout)

    key = re.fullmatch(r"SECRET_KEY=(\S+)\n", first)
    assert key and len(key[1]) >= 50
    assert again == first  # kept: tokens signed before stay valid


def test_every_checkout_gets_a_key_of_its_own(checkout, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    shutil.copy(checkout / "Makefile", other / "Makefile")

    assert make_env(checkout) != make_env(other)


def test_make_env_keeps_other_settings_and_adds_the_key(checkout):
    (checkout / ".env").write_text("DATABASE_URL=sqlite:////tmp/x.sqlite3\n")

    written = make_env(checkout)

    assert written.startswith("DATABASE_URL=sqlite:////tmp/x.sqlite3\nSECRET_KEY=")


def test_make_run_serves_this_machine_only_by_default():
    makefile = (PROJECT / "Makefile").read_text()

    assert re.search(r"^HOST \?= 127\.0\.0\.1$", makefile, re.M)
    assert "runserver $(HOST):$(PORT)" in makefile
