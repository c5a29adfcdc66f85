import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

PROJECT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env={**clean, **env},
        capture_output=True, text=True, timeout=120,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_key_only_with_debug_on():
    assert manage("check", DEBUG="true").returncode == 0


def test_check_deploy_is_clean_with_production_settings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY="x" * 20 + "-production-like-secret-key-0123456789abcdef",
        SECURE_SSL_REDIRECT="true", SECURE_PROXY_SSL_HEADER="true",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_invalid_throttle_rate_is_refused_at_startup():
    result = manage("check", DEBUG="true", THROTTLE_RATES="tickets_list=lots")
    assert result.returncode != 0
    assert "THROTTLE_RATES['tickets_list']" in result.stderr


def test_unknown_throttle_scope_is_refused_at_startup():
    result = manage("check", DEBUG="true", THROTTLE_RATES="mechanic_list=1/hour")
    assert result.returncode != 0
    assert "unknown scopes ['mechanic_list']" in result.stderr
