"""Reportdesk settings: one module, every value from the environment.

Local defaults (no variables set) give the embedded setup: SQLite and files under var/, a
Celery broker on the filesystem, e-mails written to var/mail. Production sets DATABASE_URL,
REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and, for screenshots, the S3 variables.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_file_read(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of a .env file (blank lines and # comments skipped, one pair of
    surrounding quotes removed); nothing if the file does not exist."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return {}
    values = {}
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key.isidentifier():
            raise ImproperlyConfigured(f"{path}, line {number}: expected KEY=VALUE")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


# `make run` writes .env (git-ignored: DEBUG=true and a key of its own) so that every
# manage.py command works locally without exporting anything. The real environment wins over
# it; ENV_FILE names another file, and ENV_FILE= (empty, as `make test` sets) reads none.
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    for _key, _value in env_file_read(Path(ENV_FILE)).items():
        os.environ.setdefault(_key, _value)

VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Production is the default: DEBUG must be asked for (make run and the tests do).
DEBUG = envbool("DEBUG", False)

_INSECURE_LOCAL_KEY = "django-insecure-local-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _INSECURE_LOCAL_KEY

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "django_filters",
    "template_partials",
    "reports",
    "tickets",
    "appeals",
]

MIDDLEWARE = [
    # First: a load balancer's probe of /healthz and /readyz is answered before the host check
    # and the HTTPS redirect, and without sessions, CSRF or cookies (reports/health.py).
    "reports.health.HealthProbeMiddleware",
    # Broker messages of a request go once its response has (reports/after_response.py).
    "reports.after_response.AfterResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app itself (hashed names cached for good), before any session work.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Caps every request body from its Content-Length before CSRF checking reads request.POST.
    "reports.request_guards.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "reports.middleware.ViewerTimezoneMiddleware",
    "reports.request_guards.ConsoleNoStoreMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL through DATABASE_URL, else an embedded SQLite file under var/.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # An unreachable host that drops packets fails a request (and /readyz) in seconds, not
        # after the kernel's TCP timeout.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", envint("DATABASE_CONNECT_TIMEOUT", 5)
        )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "reportdesk.sqlite3",
            # WAL lets the web server and the Celery worker write without blocking readers.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/console/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
# Sign-in throttling (reports/login_throttle.py): failures per username + address, then a lockout.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", 900)
# ... and failures per address across all usernames (password spraying), then that address.
LOGIN_FAILURE_LIMIT_PER_ADDRESS = envint("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 50)
# Password reset requests per hour (reports/accounts.py): per address (then a message), and
# per e-mail address (then nothing more is sent, silently: no account enumeration).
PASSWORD_RESET_LIMIT_PER_ADDRESS = envint("PASSWORD_RESET_LIMIT_PER_ADDRESS", 20)
PASSWORD_RESET_LIMIT_PER_EMAIL = envint("PASSWORD_RESET_LIMIT_PER_EMAIL", 3)
# Sign-in with the e-mail address or the username, whatever the case.
AUTHENTICATION_BACKENDS = ["reports.accounts.EmailOrUsernameBackend"]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
if DEBUG:  # whitenoise serves from the finders then, and would warn of a missing STATIC_ROOT
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# No MEDIA_URL: screenshots are private and go out only through views that check access.


def signed_url_origin(bucket: str, endpoint_url: str | None, region: str | None) -> str:
    """Where the storage's signed URLs point, asked of botocore, which builds them (the
    bucket's own host or a shared one, depending on its name and the endpoint). Pages show
    screenshots through a redirect there, so their img-src must allow it."""
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region or None,
        # Presigning needs a key, and these sign nothing that is sent anywhere.
        aws_access_key_id="-",
        aws_secret_access_key="-",  # noqa: S106
        config=Config(signature_version="s3v4"),
    )
    url = urlsplit(
        client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "-"})
    )
    return f"{url.scheme}://{url.netloc}"


# --- Screenshots: local files by default, private S3-compatible storage when a bucket is set.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
_media_origins: list[str] = []
if AWS_STORAGE_BUCKET_NAME:
    _endpoint_url = os.environ.get("AWS_S3_ENDPOINT_URL") or None
    _media_origins = [
        signed_url_origin(
            AWS_STORAGE_BUCKET_NAME, _endpoint_url, os.environ.get("AWS_S3_REGION_NAME")
        )
    ]
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": _endpoint_url,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            # No ACL header: new objects are private (owner only) anyway, and buckets with ACLs
            # disabled (AWS's default since 2023) refuse a PUT that names one, even "private".
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": envint("AWS_QUERYSTRING_EXPIRE", 300),
            # Else botocore presigns with SigV2 for most regions and any custom endpoint, which
            # S3 refuses for buckets created since June 2020 and in regions opened since 2014.
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    # Production: `collectstatic` writes hashed, pre-compressed copies that whitenoise serves
    # with far-future Cache-Control. Under DEBUG (make run, the tests) plain names, no manifest.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- E-mail: files under var/mail locally, SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
    )
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Reportdesk <noreply@localhost>")
# Absolute links in e-mails (status pages, console) start with this.
# Locally it follows the port `make run PORT=...` serves on.
SITE_URL = (os.environ.get("SITE_URL") or f"http://127.0.0.1:{envint('PORT', 8000)}").rstrip("/")

# --- Celery: Redis through REDIS_URL, else kombu's filesystem transport under var/celery.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task whose worker died unacknowledged is redelivered this many seconds after it was
    # taken (acks_late); longer than any task runs or waits (retry countdowns are <= 15 min).
    # The worker-killed fault test shortens it.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600),
        # A publish finds Redis down at once instead of retrying for ~6 s: a request queueing
        # e-mails would otherwise wait that long for each one (the outbox sweep sends them).
        # Workers reconnect under their own retry policy (broker_connection_max_retries).
        "max_retries": 0,
    }
else:
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _dir in (_queue_dir, _processed_dir, _control_dir):
        _dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # kombu's filesystem transport with atomic writes: the stock one let the worker read a
    # message beat was still writing and die of JSONDecodeError (config/filesystem_broker.py).
    CELERY_BROKER_TRANSPORT = "config.filesystem_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        # Claimed messages are renamed here: the same file system, so the claim is atomic.
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),  # else kombu writes ./control in the cwd
        "store_processed": False,
        # The folder is listed this often (seconds): e-mails go out and Ctrl-C stops sooner.
        "polling_interval": 0.25,
    }
# --- Cache (help-center rate limits): shared by every process, so Redis when REDIS_URL is set,
# else files under var/cache.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Installations (or test runs) sharing one Redis database keep apart by prefix.
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", ""),
            # An unreachable Redis fails a cache call within a second, never hangs a request
            # (the rate limits and the sign-in lockout then fail open).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", ""),
        }
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Installations (or test runs) sharing one Redis keep apart by giving each its own queue.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A task is acknowledged after it ran, not when taken (every task is idempotent), and a task
# whose prefork child died under it (killed, out of memory) goes back on the queue instead of
# being acknowledged as failed: it runs again on another child.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# With acks_late a worker holds one unacknowledged task per process, not a prefetched batch.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How often beat runs the past-due job (seconds); the end-to-end test shortens it.
PAST_DUE_INTERVAL_SECONDS = envint("PAST_DUE_INTERVAL_SECONDS", 60)
# How often beat looks for developers whose daily summary hour has come (seconds): every 15
# minutes, so the half-hour timezones get theirs on time too; the end-to-end test shortens it.
DAILY_SUMMARY_INTERVAL_SECONDS = envint("DAILY_SUMMARY_INTERVAL_SECONDS", 900)
if PAST_DUE_INTERVAL_SECONDS < 1 or DAILY_SUMMARY_INTERVAL_SECONDS < 1:
    raise ImproperlyConfigured(
        "PAST_DUE_INTERVAL_SECONDS and DAILY_SUMMARY_INTERVAL_SECONDS must be at least 1."
    )
# Exactly ONE beat process may run (`celery -A config beat`): a second would send every entry
# twice. The jobs are idempotent, so that would waste work, never double a mark or an e-mail.
CELERY_BEAT_SCHEDULE = {
    # The 72-hour promise: mark pending reports past their deadline, within a minute of it,
    # then e-mail each app's digest. Runs left queued while the workers were down expire
    # instead of piling up (the next run marks everything anyway).
    "mark-past-due": {
        "task": "reports.tasks.mark_past_due",
        "schedule": float(PAST_DUE_INTERVAL_SECONDS),
        "options": {"expires": max(PAST_DUE_INTERVAL_SECONDS, 30)},
    },
    # Catch-up for a past-due digest whose task was never queued (broker down after the mark).
    "send-past-due-digests": {
        "task": "reports.tasks.send_past_due_digests",
        "schedule": 900.0,
        "options": {"expires": 900},
    },
    # The daily summary e-mail, sent to each developer at the hour they chose in their own
    # timezone (reports/daily_summary.py); once a day each, however often this runs.
    "send-daily-summaries": {
        "task": "reports.tasks.send_daily_summaries",
        "schedule": float(DAILY_SUMMARY_INTERVAL_SECONDS),
        "options": {"expires": DAILY_SUMMARY_INTERVAL_SECONDS},
    },
    # The outbox sweep: e-mails queued while the broker was down go out once it is back.
    "deliver-pending-emails": {"task": "reports.tasks.deliver_pending_emails", "schedule": 60.0},
    # The webhook sweep: deliveries whose task never ran (broker down) or whose next retry
    # is due; each row is claimed by a conditional UPDATE, so overlapping runs never double one.
    "deliver-pending-webhooks": {
        "task": "reports.tasks.deliver_pending_webhooks",
        "schedule": 30.0,
        "options": {"expires": 30},
    },
    # The delivery log keeps 30 days of finished deliveries (reports/webhooks/delivery.py).
    "prune-webhook-deliveries": {
        "task": "reports.tasks.prune_webhook_deliveries",
        "schedule": 86400.0,
        "options": {"expires": 3600},
    },
    # Appeals carry the same 72-hour promise: mark open appeals past their deadline, on the
    # reports' interval. A run left queued past the next one is dropped (expires).
    "mark-appeals-past-due": {
        "task": "appeals.tasks.mark_past_due",
        "schedule": float(PAST_DUE_INTERVAL_SECONDS),
        "options": {"expires": max(PAST_DUE_INTERVAL_SECONDS, 30)},
    },
}

# --- Outgoing webhooks (reports/webhooks/). Endpoints on loopback, private, link-local,
# multicast, reserved or cloud-metadata addresses (and plain http) are refused unless this is
# on: for local development and the tests only, never in production (SSRF).
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = envbool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", DEBUG)
# Seconds a receiver has to answer one delivery (connect, send, read); the tests shorten it.
WEBHOOKS_TIMEOUT_SECONDS = 5.0

# --- The 72-hour rule, in one place.
REPORT_RESPONSE_HOURS = envint("REPORT_RESPONSE_HOURS", 72)
# How often the open User reports list asks whether new reports arrived (seconds).
CONSOLE_NEW_REPORTS_POLL_SECONDS = envint("CONSOLE_NEW_REPORTS_POLL_SECONDS", 30)

# --- Behind a reverse proxy: the client address (help-center rate limits, sign-in lockout) is
# the one the proxy appends to X-Forwarded-For. Unset there, every client shares the proxy's
# address, and one client's failures lock all out. TICKETS_TRUST_X_FORWARDED_FOR: deprecated name.
TRUST_X_FORWARDED_FOR = envbool(
    "TRUST_X_FORWARDED_FOR", envbool("TICKETS_TRUST_X_FORWARDED_FOR", False)
)

# --- Security: safe in production, relaxed only under DEBUG.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# A failed CSRF check shows the site's styled page, translated on the help center.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Content-Security-Policy (django-csp) on every response: no inline scripts or styles anywhere,
# so injected markup cannot run. htmx's own indicator <style> is off (meta htmx-config in
# base.html); the preview in help.js shows picked files through blob: URLs; screenshots on
# object storage load from its signed URLs' origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_media_origins],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Screenshots are at most 10 MB each, three per report; anything larger is refused early.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
