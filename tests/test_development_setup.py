"""The README's development command: `make run` signs with a key of the checkout's own."""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.management import get_commands, load_command_class

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


# --- static files under `make run` (runserver with DEBUG on) ---------------------------------------
# Django's runserver serves /static/ itself, before any middleware: a path that climbs out of a
# static folder was a 500 (SuspiciousFileOperation) and an unknown file Django's DEBUG page.
# whitenoise.runserver_nostatic leaves /static/ to WhiteNoise, as in production.


def wsgi_get(application, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET `path` (exactly as written: no "..", no %2e folded) from a WSGI application, as a
    server hands it the request."""
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=path, HTTP_HOST="127.0.0.1")
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=int(status.split()[0]), headers={name.lower(): value for name, value in headers})

    body = b"".join(application(environ, start_response))
    return started["status"], started["headers"], body


@pytest.fixture
def runserver_application(settings):
    """The WSGI application `manage.py runserver` serves, with its default options and DEBUG on."""
    settings.DEBUG = True
    command = load_command_class(get_commands()["runserver"], "runserver")
    options = command.create_parser("manage.py", "runserver").parse_args([])
    return command.get_handler(**vars(options))


@pytest.mark.parametrize(
    "path",
    [
        "/static/../mechanic_shop/settings.py",
        "/static/admin/../../mechanic_shop/settings.py",
        "/static/../../../../etc/passwd",
        "/static/nonexistent.js",
        "/static/admin/css/nonexistent.css",
        "/static/",
    ],
)
@pytest.mark.django_db
def test_runserver_answers_unknown_and_climbing_static_paths_with_a_plain_404(runserver_application, path):
    status, headers, body = wsgi_get(runserver_application, path)

    assert status == 404
    assert headers["content-type"].startswith("text/plain")
    assert body == b"Not found."


@pytest.mark.django_db
def test_runserver_still_serves_static_files(runserver_application):
    status, headers, body = wsgi_get(runserver_application, "/static/admin/css/base.css")

    assert status == 200
    assert headers["content-type"].startswith("text/css")
    assert body
