"""AMO settings: one file, every value read from the environment (12-factor).

Defaults are safe for development on one machine; production sets DEBUG=0, SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, the Stripe keys and EMAIL_URL. README.md lists them all.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import dj_database_url
import pghistory
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
_DEV_SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET_KEY
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY and not env_bool("AMO_ALLOW_DEV_SECRET", False):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# The product's name in emails; the Site row follows it and SITE_URL (amo.services.site_sync).
SITE_NAME = os.environ.get("SITE_NAME", "AMO")

INSTALLED_APPS = [
    "amo.apps.AdminConfig",  # django.contrib.admin with staff two-factor (amo/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # The audit trail (docs/audit-trail.md): triggers record every change to the tracked models.
    "pgtrigger",
    "pghistory",
    "amo",
    "hosts",
    "rotations",
    "applicants",
    "payments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: the audit trail records who made each change (amo/audit.py).
    "pghistory.middleware.HistoryMiddleware",
]

# --- Audit trail (docs/audit-trail.md) -----------------------------------------------------------
# A GET changes nothing (tests/amo/test_get_writes_nothing.py), so only writing methods are given a
# context: who acted (the signed-in user, or the API token's) and the address they posted to.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# An event is history: the database refuses to change or delete one, as it does a ledger entry.
PGHISTORY_APPEND_ONLY = True
# An event table is read by object (pgh_obj, indexed) and by time; the copies of the tracked
# model's foreign keys are not looked up, and each index would be one more write per event.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
# When each change happened, not when its transaction began: one request's changes to several
# records then read in the order they were made.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"

ROOT_URLCONF = "amo.urls"
WSGI_APPLICATION = "amo.wsgi.application"
ASGI_APPLICATION = "amo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
    # The catalog's hot fragments (amo/jinja.py says why); asked for by their .jinja names.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "amo.jinja.environment"},
    },
]

# --- Database -------------------------------------------------------------------------------
# `make run` / `make test` set DATABASE_URL to the embedded server (tools/devstack.py).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@localhost:5432/amo"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Tests and the benchmark may trade durability for speed (amo/pytest_env.py, tools/devstack.py
# bench): a crash there loses nothing anyone was promised. `make run` and production never set it.
if os.environ.get("DATABASE_SYNCHRONOUS_COMMIT"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c synchronous_commit={os.environ['DATABASE_SYNCHRONOUS_COMMIT']}"
    )
# Services own their transactions (STYLE.md): no ATOMIC_REQUESTS.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -----------------------------------------------------------------
# REDIS_URL names the first of three databases on one server: the Celery broker uses it, the
# task results the next and the caches the one after (redis://host:6379/0 means 0, 1 and 2), so
# clearing the cache never drops a queued task and results never crowd the queue. The test suite
# moves them to 13-15 (amo/pytest_env.py). CELERY_BROKER_URL, CELERY_RESULT_BACKEND and CACHE_URL
# each override one, e.g. for a managed Redis that has a single database.
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")


def redis_database_url(redis_url: str, offset: int) -> str:
    """`redis_url` moved `offset` databases on: the db is the path (redis://host:6379/2) or, for a
    Unix socket, the `db` parameter (unix:///run/redis.sock?db=2); it is 0 when absent."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        query = parse_qs(parts.query)
        query["db"] = [str(int(query.get("db", ["0"])[0]) + offset)]
        # urlunsplit drops the empty host of unix:///path, which redis-py refuses.
        return f"unix://{parts.path}?{urlencode(query, doseq=True)}"
    db = int(parts.path.strip("/") or "0")
    return urlunsplit(parts._replace(path=f"/{db + offset}"))


def celery_redis_url(redis_url: str) -> str:
    """Kombu spells a Unix-socket Redis as redis+socket:// with the db as virtual_host."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    db = parse_qs(parts.query).get("db", ["0"])[0]
    return f"redis+socket://{parts.path}?virtual_host={db}"


CACHE_URL = os.environ.get("CACHE_URL") or redis_database_url(REDIS_URL, 2)
CACHES = {
    "default": {
        "BACKEND": "amo.cache.ClientReusingRedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "amo",
    },
    # The anonymous catalog's pages and API lists (rotations.cache); entries expire after
    # CATALOG_CACHE_SECONDS as a safety net behind the catalog version. 0 switches the cache off.
    "catalog": {
        "BACKEND": "amo.cache.ClientReusingRedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "amo",
    },
}
CATALOG_CACHE_SECONDS = int(os.environ.get("CATALOG_CACHE_SECONDS", "300"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or celery_redis_url(REDIS_URL)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or celery_redis_url(
    redis_database_url(REDIS_URL, 1)
)
# Redis gives a task a worker took and did not acknowledge (acks_late: the worker died) to another
# worker after this many seconds. A task held longer than that, waiting for its countdown or eta
# (a retry's backoff) or still running, would be given out again and run twice: every delay and
# time limit stays below it (tests/amo/test_celery.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "amo.tasks.record_worker_heartbeat", "schedule": 60.0},
    # Next start dates move past blocks that began; new listing words join the typo dictionary.
    "catalog-refresh": {"task": "rotations.tasks.catalog_refresh", "schedule": crontab(hour=3, minute=0)},
    # Offers and checkouts past their deadline expire, freed seats go to the waitlist, undecided
    # applications expire after 10 days.
    "holds-sweep": {"task": "applicants.tasks.holds_sweep", "schedule": 60.0},
    "bookings-advance": {"task": "applicants.tasks.bookings_advance", "schedule": crontab(minute=5)},
    # Payments a lost webhook left open, refunds Stripe did not take, events not yet processed.
    "payments-reconcile": {"task": "payments.tasks.reconcile", "schedule": crontab(hour=4, minute=0)},
    # Balances due charged off-session to the deposit's card; unpaid 7 days after a failure: cancelled.
    "balances-charge": {"task": "payments.tasks.balances_charge", "schedule": crontab(hour=6, minute=0)},
    # Emails whose own task never left (the broker was down, the mail server kept refusing).
    "notifications-relay": {"task": "amo.tasks.notifications_relay", "schedule": 60.0},
    "invitations-relay": {"task": "hosts.tasks.invitations_relay", "schedule": 60.0},
    # Reminders that fell due (amo.reminders): each sent once, whatever runs twice.
    "reminders-sweep": {"task": "amo.tasks.reminders_sweep", "schedule": 60.0},
    "seat-counts-check": {
        "task": "rotations.tasks.seat_counts_check",
        "schedule": crontab(hour=3, minute=30),
    },
    # Letter requests nobody answered within 30 days expire (the applicant is told).
    "letters-expire": {"task": "applicants.tasks.letters_expire_unanswered", "schedule": crontab(minute=15)},
}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "amo.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# allauth's per-address (ip) limits are sized for one person; AMO's users often share one address
# (a hospital's or university's NAT), so every per-address limit here fits a few hundred people.
# Per-account (key) and per-user limits stay strict: they are what stops guessing.
# docs/architecture.md lists them.
ACCOUNT_RATE_LIMITS = {
    "login": "300/m/ip",
    "login_failed": "100/15m/ip,5/5m/key",  # the right password too is refused while locked
    "signup": "100/m/ip",
    "reset_password": "100/m/ip,5/m/key",
    "reset_password_from_key": "100/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
# Two-factor codes count against login_failed (per account); MFA's own limit is for WebAuthn, unused here.
ACCOUNT_ADAPTER = "applicants.accounts.AccountAdapter"
ACCOUNT_FORMS = {"signup": "applicants.accounts.SignupForm"}
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True  # one address per account; a change is verified before it replaces the old
# Subjects start with "[<Site name>] "; password, email and two-factor changes are announced by email.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Host owners and staff must use TOTP (hosts.tenancy, amo.admin_site send them to set it up); others may.
MFA_TOTP_ISSUER = "AMO"

# --- I18N, time, money -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = "usd"

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Applicant documents are private: stored outside any URL and served only by a view that
    # checks permission (applicants/views.py).
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("PRIVATE_MEDIA_ROOT", str(BASE_DIR / ".data" / "private"))},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# What one applicant's document vault holds at most, in files and in bytes (applicants.services).
DOCUMENT_VAULT_MAX_FILES = 40
DOCUMENT_VAULT_MAX_BYTES = 100 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email ----------------------------------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:port (smtp+tls:// for STARTTLS, smtps:// for TLS),
# console:// to print mails, locmem:// to keep them in memory.
EMAIL_URL = os.environ.get("EMAIL_URL", "console://" if DEBUG else "smtp://localhost:25")
_email = urlsplit(EMAIL_URL)
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
}.get(_email.scheme)
if EMAIL_BACKEND is None:
    raise ImproperlyConfigured(
        f"EMAIL_URL scheme {_email.scheme!r} is not one of console, locmem, smtp, smtps"
    )
EMAIL_HOST = _email.hostname or "localhost"
EMAIL_PORT = _email.port or 25
EMAIL_HOST_USER = _email.username or ""
EMAIL_HOST_PASSWORD = _email.password or ""
EMAIL_USE_TLS = _email.scheme == "smtp+tls"
EMAIL_USE_SSL = _email.scheme == "smtps"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AMO <no-reply@amo.example>")

# --- Stripe ---------------------------------------------------------------------------------
# `make run` / `make test` point these at localstripe unless real keys are set.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# An empty secret signs nothing: anyone can compute the HMAC of a forged event under an empty key.
# The webhook refuses every event then (payments/views.py); production refuses to start.
if not DEBUG and STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "STRIPE_WEBHOOK_SECRET must be set when STRIPE_SECRET_KEY is: it is the signing secret "
        "(whsec_...) of the webhook endpoint in Stripe's dashboard"
    )
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
# Where pay pages load stripe.js from: Stripe's own (it must never be bundled or copied), or the
# script localstripe serves (tools/devstack.py sets it whenever it starts localstripe).
STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")

# --- API --------------------------------------------------------------------------------------
# TRUSTED_PROXIES: how many proxies in front append to X-Forwarded-For; the API's per-address
# limits count the address that many hops from the end. 0 (the default) counts REMOTE_ADDR,
# since any client can write X-Forwarded-For.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES") or "0")
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "amo.schema.AutoSchema",
    # Token first: DRF answers an anonymous request with the first class's challenge, so API
    # clients get 401 with WWW-Authenticate: Token rather than a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "amo.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # JSON only, bounded in size and nesting (amo/parsers.py): a form cannot say null, so a form
    # body could not send what the schema allows. Uploads take multipart (their views say so).
    "DEFAULT_PARSER_CLASSES": ["amo.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "amo.api.exception_handler",
    # Requests per client: by address when anonymous, by account when signed in (amo/throttles.py).
    # A hospital's or university's NAT puts many visitors behind one address, hence the anonymous
    # rate's size. The rates are "<count>/<second|minute|hour|day>".
    "DEFAULT_THROTTLE_CLASSES": ["amo.throttles.AnonRateThrottle", "amo.throttles.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON") or "300/minute",
        "user": os.environ.get("API_THROTTLE_USER") or "1200/minute",
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
}
# The public verify page of enrollment letters, per client address (amo.throttles.PageRateThrottle):
# a consulate checks a few letters; a client trying codes one after another is stopped.
LETTER_VERIFY_RATE = os.environ.get("LETTER_VERIFY_RATE") or "30/minute"
SPECTACULAR_SETTINGS = {
    "TITLE": "AMO API",
    "DESCRIPTION": "U.S. clinical rotations for international medical graduates.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set that several fields share (status, from_status, to_status).
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "applicants.models.Application.Status",
        "BlockChangeStatusEnum": "applicants.models.BlockChange.Status",
        "LetterRequestStatusEnum": "applicants.models.LetterRequest.Status",
        "ReminderKindEnum": "amo.models.Reminder.Kind",
        "VisaTypeEnum": "rotations.models.VisaType",
        "DocumentKindEnum": "rotations.models.DocumentKind",
        "VaultDocumentKindEnum": "rotations.models.VAULT_DOCUMENT_KINDS",
        "OrganizationKindEnum": "hosts.models.Organization.Kind",
        "CountryEnum": "applicants.countries.COUNTRY_CHOICES",
    },
}

# --- Security headers --------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The header a TLS-terminating proxy sets to "https" (X-Forwarded-Proto), trusted only when named:
# a client reaching the app any other way could send it too. gunicorn already trusts it from
# loopback (its forwarded_allow_ips), so a proxy on the same host needs nothing here.
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers ask over plain HTTP; a redirect would read as "down".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    # Both bind more than this site: includeSubDomains every host under the domain, preload every
    # browser for months after it is undone. Each deploy that owns its domain opts in.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # `check --deploy` warns about each one left off; leaving it off is the deploy's choice.
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "amo.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["client_errors_without_traceback"]},
    },
    # Django's own logging gives "django" a console handler of its own (while DEBUG is on) besides
    # the root's, which wrote each 404 and 403 twice: here its records reach the root's only.
    # runserver's request lines keep their own logger, django.server.
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
