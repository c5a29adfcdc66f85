"""Settings of the Mechanic Shop API.

Every setting that differs between machines is read from the environment (or an optional
`.env` file beside `manage.py`) with django-environ; see the configuration table in README.md.
"""

import hashlib
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. `make run` writes a random one to .env for development; "
        "production sets it in the environment."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "accounts.apps.ShopAdminConfig",  # django.contrib.admin with the sign-in limits on its login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver (`make run`) leaves /static/ to WhiteNoise, as in production, instead of serving it
    # itself before any middleware (a path climbing out of a static folder was a 500 there).
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_ratelimit",
    "django_filters",
    "core",
    "idempotency",
    "audit",
    "accounts",
    "customers",
    "mechanics",
    "inventory",
    "vehicles",
    "tickets",
    "events",
    "webhooks",
    "documents",
    "reports",
    "notifications",
    "demo",
]

# SecurityMiddleware first: the HTTPS redirect answers before anything else can, and every
# response, even one a middleware below refuses a request with, carries the security headers.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.logging.RequestLogMiddleware",
    "core.middleware.JsonErrorMiddleware",
    "core.middleware.ControlCharacterMiddleware",
    "core.middleware.ContentLengthRequiredMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.PrivateApiResponseMiddleware",
    "core.middleware.UtcApiMiddleware",
]

ROOT_URLCONF = "mechanic_shop.urls"
# Every path answers with and without its trailing slash, so no redirects are wanted.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "mechanic_shop.wsgi.application"

# --- Database -------------------------------------------------------------------------------
# An empty variable counts as unset, so `DATABASE_URL=` in .env falls back to the default too.
DATABASES = {
    "default": environ.Env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so concurrent writers queue instead
    # of failing with "database is locked" half-way through a transaction. WAL lets readers run
    # while a write commits.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif _db["ENGINE"] == "django.db.backends.mysql":
    _db.setdefault("OPTIONS", {}).update({"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"})
    # A case-insensitive collation makes the unique email and name columns ignore case,
    # which is how MariaDB enforces what PostgreSQL and SQLite do with lower() indexes.
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
elif _db["ENGINE"] == "django.db.backends.postgresql" and env.bool("PG_PREPARED_STATEMENTS", default=True):
    # Server-side parameter binding lets psycopg prepare a query it has run five times on a
    # connection, so PostgreSQL plans the hot reads once per connection instead of on every
    # request. Behind PgBouncer in transaction mode, set PG_PREPARED_STATEMENTS=false.
    _db.setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
_db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
_db["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caches -----------------------------------------------------------------------------------
# One store (Redis from CACHE_URL, or without it a diskcache directory that every local process
# shares, with atomic increments across processes), two aliases with their own key prefixes:
# - "default": what a request reads before it is answered, in one round trip: the signed-in
#   account (accounts/principals.py), the cached reads' version counters and their cached answers
#   (core.caching). Errors are raised and the code decides: an account change that could not
#   forget the cached account is refused, a read whose cache cannot be read is built from the
#   database. Nothing is evicted for size (on diskcache; Redis wants `maxmemory-policy noeviction`,
#   README): an evicted tombstone could let a changed account's old copy back.
# - "limits": the rate-limit counters. Errors are raised, so the sign-in limits can fail closed.
if env.str("CACHE_URL", default=""):
    _cache = environ.Env.cache_url_config(env.str("CACHE_URL"))
else:
    _cache = {
        "BACKEND": "core.cache_backends.DiskCache",
        "LOCATION": env.str("CACHE_DIR", default=str(BASE_DIR / "var" / "cache")),
        "OPTIONS": {"size_limit": 2**30},
    }


def _database_cache_prefix(database: dict) -> str:
    """A cache key prefix of the database's own (its engine, host, port and name), so two
    deployments sharing one Redis never read each other's cached accounts or counters: the
    database's name, readable, and a digest of all four, unique."""
    name = str(database.get("NAME") or "")
    if database["ENGINE"] == "django.db.backends.sqlite3" and name != ":memory:":
        name = str(Path(name).resolve())  # the same file however the URL spells its path
    identity = "|".join([database["ENGINE"], str(database.get("HOST") or ""), str(database.get("PORT") or ""), name])
    label = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(name).name)[:40] or "db"
    return f"{label}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"


# An empty variable counts as unset, as DATABASE_URL's does; a CACHE_URL's own key_prefix wins.
_cache.setdefault("KEY_PREFIX", env.str("CACHE_KEY_PREFIX", default="") or _database_cache_prefix(_db))
if _cache["BACKEND"] == "django_redis.cache.RedisCache":
    # A Redis that is down or stalled must cost a request little, not the operating system's
    # TCP timeouts: a quarter of a second per call (a healthy Redis answers in a millisecond).
    # A CACHE_URL's own options win.
    _cache.setdefault("OPTIONS", {}).setdefault("SOCKET_CONNECT_TIMEOUT", 0.25)
    _cache["OPTIONS"].setdefault("SOCKET_TIMEOUT", 0.25)
CACHES = {
    alias: {
        **_cache,
        "KEY_PREFIX": _cache["KEY_PREFIX"] if alias == "default" else f"{_cache['KEY_PREFIX']}:{alias}",
        "OPTIONS": {**_cache.get("OPTIONS", {})},
    }
    for alias in ("default", "limits")
}
if _cache["BACKEND"] == "core.cache_backends.DiskCache":
    for alias in CACHES:  # one directory each: the rate limits' counters are culled on their own
        CACHES[alias]["LOCATION"] = str(Path(_cache["LOCATION"]) / alias)
    CACHES["default"]["OPTIONS"]["eviction_policy"] = "none"  # every entry but a counter expires

# --- Passwords --------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    # Argon2id with OWASP's parameters; hashes made with other parameters are upgraded at the
    # account's next sign-in.
    "accounts.hashers.OWASPArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Staff sign in by username (Django's ModelBackend), customers by email (accounts.backends).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.CustomerBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The shop's time zone: the admin's clock, and the day an invoice or payment belongs to in reports
# and on documents. The API itself writes every timestamp in UTC (core.middleware.UtcApiMiddleware).
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"TIME_ZONE must be an IANA time zone such as America/Chicago, not {TIME_ZONE!r}."
    ) from None

STATIC_URL = "static/"
# Filled by collectstatic (`make serve`). With DEBUG on, WhiteNoise looks for files on each request
# and never for this directory up front, so `make run` needs no collectstatic.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "var" / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (development, tests) WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = True

# A request body larger than this is refused with 413 before it reaches a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- Security ---------------------------------------------------------------------------------
# Django's defaults send the other security headers (nosniff, Referrer-Policy and
# Cross-Origin-Opener-Policy same-origin, X-Frame-Options DENY); tests/test_security_headers.py pins them.
# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto only when told to.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Off by default so plain-HTTP development and tests work; production turns it on.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
# Both bind every subdomain of the operator's domain to HTTPS (preload: for years, in browsers'
# built-in lists); on by default as Django's deployment checks ask, off with the variables.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# The admin is the only page people sign into; a sign-in without ?next= lands on its index.
LOGIN_REDIRECT_URL = "admin:index"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Rate limits ------------------------------------------------------------------------------
DEFAULT_THROTTLE_RATES = {
    "customers_list": "15/hour",
    "mechanics_list": "5/hour",
    "mechanics_delete": "1/hour",
    "tickets_list": "5/hour",
    "tickets_remove_mechanic": "20/hour",
    "signup": "10/hour",
    "customer_writes": "30/hour",  # POST /tickets and POST /vehicles by a customer
    "login": "10/minute",  # per client address, and per account from one address
    "login_account": "100/hour",  # per account over all addresses
    "password_reset": "5/hour",  # POST /customers/password-reset, per client address
    "password_reset_email": "3/hour",  # the same, per email asked about
}
THROTTLING_ENABLED = env.bool("THROTTLING_ENABLED", default=True)
# "a=1/hour, b=2/day": spaces around names and rates are not part of them.
THROTTLE_RATES = {
    **DEFAULT_THROTTLE_RATES,
    **{scope.strip(): rate.strip() for scope, rate in env.dict("THROTTLE_RATES", default={}).items()},
}
# How many reverse proxies in front of us append to X-Forwarded-For; 0 trusts only the socket.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

RATELIMIT_ENABLE = THROTTLING_ENABLED
RATELIMIT_USE_CACHE = "limits"
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit's check knows memcached and django-redis only; diskcache increments
    # atomically across processes too (tests/test_throttling.py counts it under concurrency).
    # Its E003, raised for caches that cannot count at all (dummy, local memory), stays on.
    "django_ratelimit.W001",
    # MariaDB has no expression indexes: the case-insensitive collation makes the plain unique
    # index on inventory names ignore case there (inventory/models.py).
    "models.W044",
]

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ShopJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": False,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# --- The shop -------------------------------------------------------------------------------
# Tax on a ticket's subtotal, a decimal fraction (0.0825 is 8.25 %). Read as text, never as a
# float, so the rate is exactly the one configured.
TAX_RATE = env.str("TAX_RATE", default="0")
try:
    TAX_RATE = Decimal(TAX_RATE.strip())
except InvalidOperation:
    raise ImproperlyConfigured(f"TAX_RATE must be a decimal fraction such as 0.0825, not {TAX_RATE!r}.") from None
if not TAX_RATE.is_finite() or not Decimal(0) <= TAX_RATE < Decimal(1):
    raise ImproperlyConfigured(f"TAX_RATE must be at least 0 and below 1, not {TAX_RATE}.")

# The shop on documents (and emails): demo values until the environment names the real shop.
# SHOP_ADDRESS may hold line breaks, written \n in the environment.
SHOP_NAME = env.str("SHOP_NAME", default="Demo Auto Repair")
SHOP_ADDRESS = env.str("SHOP_ADDRESS", default="1200 Main Street\nSpringfield, IL 62701", multiline=True)
SHOP_PHONE = env.str("SHOP_PHONE", default="(555) 010-4200")
SHOP_TAX_ID = env.str("SHOP_TAX_ID", default="EIN 00-0000000")
# The paper estimates and invoices are printed on.
_PAPER_SIZES = {"a4": "A4", "letter": "Letter"}
PAPER_SIZE = _PAPER_SIZES.get(env.str("PAPER_SIZE", default="A4").strip().lower(), "")
if not PAPER_SIZE:
    raise ImproperlyConfigured(f"PAPER_SIZE must be A4 or Letter, not {env.str('PAPER_SIZE')!r}.")

# --- Email to customers (notifications app) ---------------------------------------------------
# Any of Django's email backends, from a django-environ URL: smtp+tls://user:password@host:587,
# consolemail:// (the default: printed by the worker, for development), filemail:///directory.
# Every email is sent by a Celery worker after the change that owes it has committed.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{SHOP_NAME} <shop@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds an SMTP server has to answer (Django waits forever without one).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=30)
# Where customers reach the service: the links in emails are built on it.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:5001").rstrip("/")
# How long an estimate's approval link works, and a password-reset link (Django's setting).
ESTIMATE_LINK_DAYS = env.int("ESTIMATE_LINK_DAYS", default=7)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# Seconds between a failed send and the next attempt; after the last, the email is failed (logged
# as an error, and listed in the admin).
EMAIL_RETRY_SCHEDULE = [
    float(seconds) for seconds in env.list("EMAIL_RETRY_SCHEDULE", default=["10", "60", "300", "1800", "7200", "21600"])
]
EMAILS_SWEEP_SECONDS = env.float("EMAILS_SWEEP_SECONDS", default=30)
# An email whose task was sent this long ago and has not run is sent again by the sweep.
EMAIL_REQUEUE_SECONDS = env.float("EMAIL_REQUEUE_SECONDS", default=120)

JWT_ACCESS_TOKEN_LIFETIME = env.int("JWT_ACCESS_TOKEN_LIFETIME", default=3600)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=JWT_ACCESS_TOKEN_LIFETIME),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_REFRESH_TOKEN_LIFETIME", default=86400)),
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    # SimpleJWT's tokens, accepted only with the claims the server writes (accounts/tokens.py).
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.AccessToken",),
    # Every token carries a fingerprint of its account's password hash: a password change
    # (API or admin) ends every token issued before it.
    "CHECK_REVOKE_TOKEN": True,
    # A refresh token is used once: refreshing returns a new one and blacklists the old one.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Mechanic Shop API",
    "DESCRIPTION": (
        "Customers, vehicles, mechanics, service tickets (estimate to invoice and payment) and the "
        "parts inventory of an auto repair shop."
    ),
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    # A ticket's status (and a history entry's from and to) is one enum in the schema.
    "ENUM_NAME_OVERRIDES": {"TicketStatusEnum": "tickets.models.Status"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.strip_trailing_slashes",
        "core.schema.integer_path_ids",
        "core.schema.control_characters_are_400",
        "core.schema.safe_write_headers",
    ],
}

# --- Background work: Celery, the event outbox, webhooks --------------------------------------
# Celery's Django layout (mechanic_shop/celery.py reads every CELERY_ setting below). Production
# sets CELERY_BROKER_URL (redis://... or amqp://...). Without it the broker is kombu's filesystem
# transport, a folder under var/ shared by the processes of one machine: `make run` starts a
# worker on it beside runserver, so development needs no broker. The broker only carries wake-up
# calls; what must be delivered is in the database (events.Event, webhooks.Delivery), and the
# periodic sweeps find whatever a lost message left behind.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "filesystem://localhost/"
# A task sent from a request (on commit) tries the broker once, for at most two seconds: a broker
# that is down costs a write next to nothing, and the sweeps send what could not be sent. Workers
# and beat reconnect on their own terms (CELERY_BROKER_CONNECTION_MAX_RETRIES, below).
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env.str("CELERY_BROKER_DIR", default=str(BASE_DIR / "var" / "celery")))
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(_broker_dir / "messages"),
        "data_folder_out": str(_broker_dir / "messages"),
        "control_folder": str(_broker_dir / "control"),
    }  # the folders are made by `make run` and `make worker`, not at import
# One queue, named so that several deployments (or test runs) on one broker never take each
# other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="mechanic_shop")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Acknowledged after the task ran, and given back to the broker if the worker running it dies:
# every task is safe to run twice (each claims its row in the database first).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# No result backend: nothing waits for a task's result.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
# A worker outlives a broker outage: it reconnects for as long as it takes.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = env.str("CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat"))

# How often the sweeps run (seconds): events not yet dispatched (their on-commit task was lost,
# or the broker was down), webhook deliveries that are due or whose worker died.
EVENTS_SWEEP_SECONDS = env.float("EVENTS_SWEEP_SECONDS", default=30)
# An event younger than this is left to the task its commit sent.
EVENTS_DISPATCH_GRACE_SECONDS = env.float("EVENTS_DISPATCH_GRACE_SECONDS", default=10)
# Events (and their delivery logs) are removed this many days after they happened.
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=30)
WEBHOOK_SWEEP_SECONDS = env.float("WEBHOOK_SWEEP_SECONDS", default=15)
CELERY_BEAT_SCHEDULE = {
    "events-sweep": {
        "task": "events.tasks.sweep",
        "schedule": EVENTS_SWEEP_SECONDS,
        "options": {"expires": EVENTS_SWEEP_SECONDS},  # no backlog of sweeps after an outage
    },
    "webhooks-sweep": {
        "task": "webhooks.tasks.sweep",
        "schedule": WEBHOOK_SWEEP_SECONDS,
        "options": {"expires": WEBHOOK_SWEEP_SECONDS},
    },
    "events-prune": {"task": "events.tasks.prune", "schedule": 3600, "options": {"expires": 3600}},
    "emails-sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": EMAILS_SWEEP_SECONDS,
        "options": {"expires": EMAILS_SWEEP_SECONDS},
    },
    "emails-prune": {"task": "notifications.tasks.prune", "schedule": 3600, "options": {"expires": 3600}},
    "idempotency-prune": {"task": "idempotency.tasks.prune", "schedule": 3600, "options": {"expires": 3600}},
}

# Idempotency-Key (API.md "Safe retries and concurrent edits"): a key and its answer are kept this
# many seconds (the prune task removes them after); a key whose request started this long ago and
# never finished (its worker was killed) may be claimed again.
IDEMPOTENCY_KEY_SECONDS = env.int("IDEMPOTENCY_KEY_SECONDS", default=24 * 3600)
IDEMPOTENCY_ABANDONED_SECONDS = env.int("IDEMPOTENCY_ABANDONED_SECONDS", default=300)

WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# Seconds a receiver has to answer one delivery, from connecting to the status line.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10)
# Seconds between a failed attempt and the next (Standard Webhooks' schedule); after the last,
# the delivery is failed.
WEBHOOK_RETRY_SCHEDULE = [
    float(seconds)
    for seconds in env.list("WEBHOOK_RETRY_SCHEDULE", default=["5", "300", "1800", "7200", "18000", "36000", "36000"])
]
# A subscription whose deliveries have failed for this long, with no success between, is disabled.
WEBHOOK_DISABLE_AFTER_DAYS = env.float("WEBHOOK_DISABLE_AFTER_DAYS", default=5)
# A delivery whose task was sent this long ago and has not run is sent again by the sweep (the
# message was lost with a broker that restarted empty, or with a worker).
WEBHOOK_REQUEUE_SECONDS = env.float("WEBHOOK_REQUEUE_SECONDS", default=120)
WEBHOOK_MAX_SUBSCRIPTIONS = env.int("WEBHOOK_MAX_SUBSCRIPTIONS", default=20)
# How host names are resolved (a dotted path): the system's resolver. The tests use
# webhooks.addresses.offline_resolver, which answers IP addresses and localhost without DNS.
WEBHOOK_RESOLVER = env.str("WEBHOOK_RESOLVER", default="webhooks.addresses.system_resolver")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.logging.JSONFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": env.str("LOG_FORMAT", default="plain")},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # WeasyPrint narrates each step of laying out a PDF at INFO.
        "weasyprint.progress": {"level": "WARNING"},
        # One line per request; REQUEST_LOG_LEVEL=WARNING silences it (benchmarks).
        "mechanic_shop.requests": {
            "handlers": ["console"],
            "level": env.str("REQUEST_LOG_LEVEL", default="INFO"),
            "propagate": False,
        },
    },
}
