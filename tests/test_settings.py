"""Settings read from the environment (API.md "Configuration"): SECRET_KEY is required, always;
THROTTLE_RATES overrides the documented defaults and is validated by a system check; the cache is
diskcache (CACHE_DIR) unless CACHE_URL names another; production settings pass `check --deploy`.

Most tests load mechanic_shop/settings.py afresh in this process with an environment of their
own (and no .env file); a few run manage.py as an operator would.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import CheckMessage, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from conftest import SETTINGS_ENVIRONMENT

PROJECT = Path(__file__).resolve().parents[1]
KEY = "x" * 20 + "-production-like-secret-key-0123456789abcdef"
# --- SECRET_KEY -----------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", ["false", "true", None])
@pytest.mark.parametrize("key", [None, ""])
def test_settings_refuse_to_load_without_a_secret_key(load_settings, debug, key):
    environment = {} if debug is None else {"DEBUG": debug}
    if key is not None:
        environment["SECRET_KEY"] = key

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings(**environment)


def test_the_secret_key_signs_the_tokens_unless_a_signing_key_is_given(load_settings):
    assert load_settings(SECRET_KEY=KEY)["SIMPLE_JWT"]["SIGNING_KEY"] == KEY
    assert load_settings(SECRET_KEY=KEY, JWT_SIGNING_KEY="other-key")["SIMPLE_JWT"]["SIGNING_KEY"] == "other-key"


def test_manage_py_refuses_to_start_without_a_secret_key():
    """As an operator meets it: a clear message, not a traceback deep in Django."""
    clean = {k: v for k, v in os.environ.items() if k not in {*SETTINGS_ENVIRONMENT, "DJANGO_SETTINGS_MODULE"}}
    if (PROJECT / ".env").exists() and "SECRET_KEY=" in (PROJECT / ".env").read_text():
        pytest.skip(".env holds a SECRET_KEY (make run writes one)")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT,
        env={**clean, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


# --- defaults and overrides -------------------------------------------------------------------------


def test_production_defaults(load_settings):
    loaded = load_settings(SECRET_KEY=KEY)

    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1"]
    assert loaded["SIMPLE_JWT"]["ACCESS_TOKEN_LIFETIME"].total_seconds() == 3600
    assert loaded["THROTTLING_ENABLED"] is True
    assert loaded["THROTTLE_RATES"] == loaded["DEFAULT_THROTTLE_RATES"]
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"


def test_loading_the_settings_creates_no_directory(load_settings, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the settings created a directory")

    monkeypatch.setattr(Path, "mkdir", refuse)
    monkeypatch.setattr(os, "makedirs", refuse)
    monkeypatch.setattr(os, "mkdir", refuse)

    assert load_settings(SECRET_KEY=KEY)["STATIC_ROOT"] == PROJECT / "var" / "static"


def test_static_root_is_read_from_the_environment(load_settings, tmp_path):
    assert (
        load_settings(SECRET_KEY=KEY, STATIC_ROOT=str(tmp_path / "collected"))["STATIC_ROOT"] == tmp_path / "collected"
    )


def test_the_default_cache_is_diskcache_in_cache_dir(load_settings, tmp_path):
    loaded = load_settings(SECRET_KEY=KEY, CACHE_DIR=str(tmp_path / "shared"))
    caches = loaded["CACHES"]

    assert set(caches) == {"default", "limits"}
    for cache in caches.values():
        assert cache["BACKEND"] == "core.cache_backends.DiskCache"
        assert Path(cache["LOCATION"]).is_relative_to(tmp_path / "shared")  # every process of the machine shares it
    assert len({cache["LOCATION"] for cache in caches.values()}) == 2
    # Accounts' tombstones must never be culled for size (every entry but a counter expires).
    assert caches["default"]["OPTIONS"]["eviction_policy"] == "none"


def test_cache_url_puts_both_caches_on_redis(load_settings):
    loaded = load_settings(SECRET_KEY=KEY, CACHE_URL="redis://127.0.0.1:6379/3")
    default, limits = (loaded["CACHES"][alias] for alias in ("default", "limits"))

    assert default["BACKEND"] == limits["BACKEND"] == "django_redis.cache.RedisCache"
    # Both report their errors: the sign-in limits fail closed, an account change that cannot be
    # forgotten is refused, and core.caching answers from the database when the cache fails.
    assert not default["OPTIONS"].get("IGNORE_EXCEPTIONS") and not limits["OPTIONS"].get("IGNORE_EXCEPTIONS")
    assert len({cache["KEY_PREFIX"] for cache in (default, limits)}) == 2
    for cache in (default, limits):
        assert cache["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] <= 0.5 and cache["OPTIONS"]["SOCKET_TIMEOUT"] <= 0.5


# --- CACHE_KEY_PREFIX -------------------------------------------------------------------------------


def cache_prefixes(loaded: dict) -> dict[str, str]:
    return {alias: cache["KEY_PREFIX"] for alias, cache in loaded["CACHES"].items()}


REDIS = "redis://127.0.0.1:6379/3"  # named, never connected to


@pytest.mark.parametrize(
    ("one", "other"),
    [
        pytest.param("postgres://shop@db.example:5432/shop_a", "postgres://shop@db.example:5432/shop_b", id="name"),
        pytest.param("postgres://shop@db1.example:5432/shop", "postgres://shop@db2.example:5432/shop", id="host"),
        pytest.param("postgres://shop@db.example:5432/shop", "postgres://shop@db.example:5433/shop", id="port"),
        pytest.param("postgres://shop@db.example:3306/shop", "mysql://shop@db.example:3306/shop", id="engine"),
        pytest.param("sqlite:////srv/a/db.sqlite3", "sqlite:////srv/b/db.sqlite3", id="sqlite-file"),
    ],
)
def test_two_databases_get_two_cache_prefixes(load_settings, one, other):
    """Two deployments sharing one Redis with the default prefix share no key: not a cached
    account, not a rate-limit counter."""
    first = cache_prefixes(load_settings(SECRET_KEY=KEY, CACHE_URL=REDIS, DATABASE_URL=one))
    second = cache_prefixes(load_settings(SECRET_KEY=KEY, CACHE_URL=REDIS, DATABASE_URL=other))

    for alias in ("default", "limits"):
        assert first[alias] != second[alias]
        assert not second[alias].startswith(first["default"] + ":")  # no alias of one inside the other's keys


def test_one_database_gets_the_same_cache_prefix_every_time(load_settings, tmp_path, monkeypatch):
    """Every server and worker of one deployment shares its cache: the prefix depends on the
    database alone, however a SQLite path is spelt."""
    url = "postgres://shop@db.example:5432/shop"
    prefixes = [cache_prefixes(load_settings(SECRET_KEY=KEY, CACHE_URL=REDIS, DATABASE_URL=url)) for _ in range(2)]
    monkeypatch.chdir(tmp_path)
    by_path = [
        load_settings(SECRET_KEY=KEY, DATABASE_URL=url)["CACHES"]["default"]["KEY_PREFIX"]
        for url in (f"sqlite:///{tmp_path}/db.sqlite3", "sqlite:///db.sqlite3", "sqlite:///./x/../db.sqlite3")
    ]

    assert prefixes[0] == prefixes[1]
    assert prefixes[0]["default"].startswith("shop-")  # readable in the Redis keys
    assert len(set(prefixes[0].values())) == 2
    assert len(set(by_path)) == 1


def test_an_explicit_cache_key_prefix_wins(load_settings):
    for url in ("postgres://shop@db.example:5432/shop_a", "postgres://shop@db.example:5432/shop_b"):
        loaded = load_settings(SECRET_KEY=KEY, CACHE_URL=REDIS, DATABASE_URL=url, CACHE_KEY_PREFIX="blue")
        assert cache_prefixes(loaded) == {"default": "blue", "limits": "blue:limits"}


def test_throttle_rates_override_only_what_they_name(load_settings):
    loaded = load_settings(SECRET_KEY=KEY, THROTTLE_RATES=" tickets_list = 100/hour ,login=5/minute")

    assert loaded["THROTTLE_RATES"] == {
        **loaded["DEFAULT_THROTTLE_RATES"],
        "tickets_list": "100/hour",
        "login": "5/minute",
    }
    assert loaded["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] == loaded["THROTTLE_RATES"]


@pytest.mark.parametrize(("value", "enabled"), [("false", False), ("true", True), ("0", False)])
def test_throttling_enabled_switches_every_limit(load_settings, value, enabled):
    loaded = load_settings(SECRET_KEY=KEY, THROTTLING_ENABLED=value)

    assert loaded["THROTTLING_ENABLED"] is enabled
    assert loaded["RATELIMIT_ENABLE"] is enabled  # the sign-in limits (django-ratelimit)


def test_jwt_access_token_lifetime_is_read_in_seconds(load_settings):
    assert (
        load_settings(SECRET_KEY=KEY, JWT_ACCESS_TOKEN_LIFETIME="900")["SIMPLE_JWT"][
            "ACCESS_TOKEN_LIFETIME"
        ].total_seconds()
        == 900
    )


def test_the_shop_on_documents_has_demo_defaults_and_is_read_from_the_environment(load_settings):
    defaults = load_settings(SECRET_KEY=KEY)
    shop = load_settings(
        SECRET_KEY=KEY,
        SHOP_NAME="Northside Brake & Tire",
        SHOP_ADDRESS="48 Foundry Road\\nMillbrook, NY 12545",
        SHOP_PHONE="(845) 555-0137",
        SHOP_TAX_ID="EIN 12-3456789",
        TIME_ZONE="America/Chicago",
        PAPER_SIZE="letter",
    )

    assert all(defaults[name] for name in ("SHOP_NAME", "SHOP_ADDRESS", "SHOP_PHONE", "SHOP_TAX_ID"))
    assert (defaults["TIME_ZONE"], defaults["PAPER_SIZE"]) == ("UTC", "A4")
    assert shop["SHOP_NAME"] == "Northside Brake & Tire"
    assert shop["SHOP_ADDRESS"] == "48 Foundry Road\nMillbrook, NY 12545"  # \n in the environment: a new line
    assert (shop["SHOP_PHONE"], shop["SHOP_TAX_ID"]) == ("(845) 555-0137", "EIN 12-3456789")
    assert (shop["TIME_ZONE"], shop["PAPER_SIZE"]) == ("America/Chicago", "Letter")


@pytest.mark.parametrize(
    ("name", "value"),
    [("TIME_ZONE", "Mars/Olympus_Mons"), ("TIME_ZONE", "../../etc/passwd"), ("PAPER_SIZE", "A5"), ("PAPER_SIZE", "")],
)
def test_an_unknown_time_zone_or_paper_size_stops_startup(load_settings, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(SECRET_KEY=KEY, **{name: value})


# --- THROTTLE_RATES validation (core/checks.py, a system check) -------------------------------------


def check_errors() -> list[CheckMessage]:
    """What the system checks report, as `manage.py check` runs them."""
    return [message for message in run_checks() if message.is_serious()]


def test_the_default_rates_pass_the_check():
    assert check_errors() == []


@pytest.mark.parametrize(
    "rate", ["15/hour", "5/h", "10/minute", "10/min", "10/m", "3/s", "3/sec", "3/second", "100/day", "1/d", "0/hour"]
)
def test_valid_rates_are_accepted(settings, rate):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "tickets_list": rate}

    assert check_errors() == []


@pytest.mark.parametrize(
    "rate",
    [
        "abc",
        "5/fortnight",
        "5/month",
        "5",
        "5/",
        "/hour",
        "-1/hour",
        "1.5/hour",
        "five/hour",
        " 10/minute",
        "10/ minute",
        "10/Minute",
        "",
        "5/hour/extra",
        "\u0663/hour",
        "10/minutes",
        "10/hours",
    ],
)
def test_an_invalid_rate_fails_the_check(settings, rate):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "tickets_list": rate}

    [error] = check_errors()
    assert error.id == "core.E002"
    assert "THROTTLE_RATES['tickets_list']" in error.msg


def test_an_unknown_scope_fails_the_check(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanic_list": "1/hour"}

    [error] = check_errors()
    assert error.id == "core.E001"
    assert "mechanic_list" in error.msg


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ("tickets_list=lots", "THROTTLE_RATES['tickets_list']"),
        ("mechanic_list=1/hour", "unknown scopes ['mechanic_list']"),
    ],
)
def test_manage_py_check_fails_with_bad_throttle_rates(rates, message):
    clean = {k: v for k, v in os.environ.items() if k not in {*SETTINGS_ENVIRONMENT, "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT,
        env={**clean, "SECRET_KEY": KEY, "THROTTLE_RATES": rates},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert message in result.stderr


# --- the rate limits' store ------------------------------------------------------------------------


def manage_py_check(tmp_path, **environment: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {*SETTINGS_ENVIRONMENT, "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT,
        env={**clean, "SECRET_KEY": KEY, "CACHE_DIR": str(tmp_path / "cache"), **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("cache_url", ["dummycache://", "locmemcache://"])
def test_a_cache_that_cannot_count_stops_startup(tmp_path, cache_url):
    """A dummy cache counts nothing and a local-memory one counts per process: every rate limit
    would be void. django-ratelimit's E003 says so, and it is not silenced."""
    result = manage_py_check(tmp_path, CACHE_URL=cache_url)

    assert result.returncode != 0, result.stdout + result.stderr
    assert "django_ratelimit.E003" in result.stderr


@pytest.mark.parametrize(
    "environment", [{}, {"CACHE_URL": "redis://127.0.0.1:6379/3"}], ids=["default-diskcache", "redis"]
)
def test_the_supported_stores_pass_the_checks(tmp_path, environment):
    result = manage_py_check(tmp_path, **environment)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "django_ratelimit" not in result.stdout + result.stderr


# --- deployment ---------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k not in {*SETTINGS_ENVIRONMENT, "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env={
            **clean,
            "DEBUG": "false",
            "SECRET_KEY": KEY,
            "SECURE_SSL_REDIRECT": "true",
            "SECURE_PROXY_SSL_HEADER": "true",
            "CACHE_DIR": str(tmp_path / "cache"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
