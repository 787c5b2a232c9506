"""Django settings for helloworld: every knob comes from the environment.

One switch tells local from production: `HELLOWORLD_LOCAL=1` (set by `make run` and the
tests) turns on debug and drops the login requirement. Without it the settings are
production settings, secure by default, and `SECRET_KEY` must be given.
"""

import os
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from helloworld import brokers, database
from helloworld.env import env_bool, env_float, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent


# --- Mode ---------------------------------------------------------------------------------
LOCAL_MODE = env_bool("HELLOWORLD_LOCAL")
DEBUG = env_bool("DJANGO_DEBUG", default=LOCAL_MODE)

# Everything the site writes on its own (SQLite database, filesystem broker) lives here.
DATA_DIR = Path(os.environ.get("HELLOWORLD_DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not LOCAL_MODE:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. In production set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'); "
            "for local use set HELLOWORLD_LOCAL=1 (make run does)."
        )
    SECRET_KEY = "local-insecure-key-only-for-make-run-never-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if LOCAL_MODE else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_celery_results",
    # Only for its static files: Swagger UI for /api/explorer/, served by WhiteNoise, no CDN (it needs no DRF).
    "drf_spectacular_sidecar",
    "tasks_app",
]

MIDDLEWARE = [
    # First: every later part reads the client's address and scheme as this leaves them.
    "tasks_app.http.forwarded.ForwardedHeadersMiddleware",
    # Outside WhiteNoise too, so that every response carries the policy.
    "tasks_app.http.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a login in production unless marked login_not_required; none in local mode.
    "tasks_app.access.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helloworld.urls"
WSGI_APPLICATION = "helloworld.wsgi.application"

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
                "tasks_app.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# DATABASE_URL (the platform's PostgreSQL add-on sets it); SQLite under DATA_DIR otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat write at once: WAL lets readers run beside the writer, the busy
    # timeout waits for the lock instead of failing, and IMMEDIATE takes the write lock at
    # BEGIN so two writers never deadlock upgrading a read lock.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not Django's shared in-memory default, so that a test worker in another
    # thread or process sees the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
# Each statement and lock wait bounded per process (web, worker, beat: helloworld/database.py), so that a slow
# query or a held lock costs one request a 503 rather than a thread until the lock goes.
database.apply(DATABASES["default"], os.environ)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Time ---------------------------------------------------------------------------------
# Stored in UTC, shown in this zone (named on every page).
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production (collectstatic runs in the release step);
        # plain files served from the source folders while debugging.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# --- Security (production) ----------------------------------------------------------------
# X-Forwarded-For (the client's address, for login throttling) and X-Forwarded-Proto (HTTPS, via
# SECURE_PROXY_SSL_HEADER) are believed only from a connection whose own address is a proxy listed in
# FORWARDED_ALLOW_IPS (comma-separated addresses or networks); tasks_app.http.forwarded strips them from
# anyone else, so a client that reaches the port directly can claim neither HTTPS nor another address
# (the web server, granian, passes both headers through untouched: Django alone decides).
# TRUST_PROXY_HEADERS=0 believes no one. On by default only on the platform, which sets DYNO in every dyno.
TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", default="DYNO" in os.environ)
# On the platform the router is the only way into a dyno (dynos take no direct connections), and its
# addresses are not published: trust any peer ("*"), and then only the address the router appended.
# Elsewhere only a proxy on this machine, until told its address (e.g. FORWARDED_ALLOW_IPS=10.0.0.5).
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", ["*"] if "DYNO" in os.environ else ["127.0.0.1", "::1"])
if TRUST_PROXY_HEADERS:
    # The proxy terminates TLS and says so; tasks_app.http.forwarded removed the header from anyone else.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not LOCAL_MODE:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- Celery -------------------------------------------------------------------------------
# Read by helloworld/celery.py under the CELERY_ namespace. Each setting that differs from
# Celery's default says why.
BROKER = brokers.from_environ(os.environ, DATA_DIR)
CELERY_BROKER_URL = BROKER.url
CELERY_BROKER_TRANSPORT_OPTIONS = BROKER.transport_options
# Each provider's advice (see helloworld/brokers.py); None keeps Celery's default.
if BROKER.pool_limit is not None:
    CELERY_BROKER_POOL_LIMIT = BROKER.pool_limit
# Celery's CLI tools but the worker and beat (Flower, inspect, call) take this instead (helloworld/cli.py).
MONITOR_BROKER_POOL_LIMIT = BROKER.monitor_pool_limit
if BROKER.connection_timeout is not None:
    CELERY_BROKER_CONNECTION_TIMEOUT = BROKER.connection_timeout
if BROKER.kind == "rabbitmq":
    CELERY_BROKER_HEARTBEAT = BROKER.heartbeat
if BROKER.use_ssl is not None:
    CELERY_BROKER_USE_SSL = BROKER.use_ssl
if BROKER.transport is not None:
    # Redis: kombu's transport with one client per channel (helloworld/transports/redis_client.py), by a
    # name of its own, so that the URL stays as the platform gave it and other apps keep kombu's.
    CELERY_BROKER_TRANSPORT = BROKER.transport
# Worker, web and beat retry the broker at start instead of crashing while it boots.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Status pages read results from the database, not the broker; extended results keep the
# task name, worker and periodic task name with each row.
CELERY_RESULT_BACKEND = "tasks_app.worker.results_backend:DatabaseBackend"  # django-db, outage-proof
CELERY_RESULT_EXTENDED = True
# Result rows are kept this long: Celery's default day loses a Friday task's status by Monday;
# a week keeps status pages useful and the table small. Beat's scheduler installs Celery's
# `celery.backend_cleanup` (daily, 04:00), which deletes older rows in batches (tasks_app.worker.results_backend).
CELERY_RESULT_EXPIRES = env_float("CELERY_RESULT_EXPIRES_DAYS", 7) * 24 * 60 * 60  # seconds
CELERY_CACHE_BACKEND = "django-cache"
# Celery's Django fix-up otherwise closes the database connections before and after every task,
# so each task opened a new PostgreSQL connection to store its result, which cost a short task
# several times its own work. Reuse one for this many tasks instead;
# CONN_MAX_AGE and health checks still apply, and a broken connection is replaced by the next.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 100)
# A database restart or failover while a task finishes must not lose its result: the worker
# retries the write 20 times with backoff (0.2 s doubling to 10 s, full jitter: about 80 s in
# all on average), then logs the lost write. Meanwhile that pool slot runs nothing else.
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_BACKEND_BASE_SLEEP_BETWEEN_RETRIES_MS = 200
CELERY_RESULT_BACKEND_MAX_SLEEP_BETWEEN_RETRIES_MS = 10_000
CELERY_RESULT_BACKEND_MAX_RETRIES = 20

# JSON only, everywhere: a pickled message is refused, never executed.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_ACCEPT_CONTENT = ["json"]

# Status pages show STARTED while a task runs, not only PENDING until it ends; written only for a
# task still running after TASK_STARTED_DELAY seconds (0: at once), which spares the quick ones a
# write (tasks_app.worker.started).
CELERY_TASK_TRACK_STARTED = True
TASK_STARTED_DELAY = env_float("TASK_STARTED_DELAY", 0.5)
# Acknowledge after the task ran, and take one task at a time: a worker that dies (deploy,
# dyno restart, crash) leaves its task on the broker for another worker instead of losing it,
# and a long task holds no others back behind it. Workers of many quick tasks drain about a
# fifth faster with 4 (bench/README.md), at the cost of both: on Redis, a killed worker's
# prefetched tasks wait out REDIS_VISIBILITY_TIMEOUT.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_WORKER_PREFETCH_MULTIPLIER", 1)
# A few processes fit a small dyno's memory; the CPU count a dyno reports does not.
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 2)
# The platform sends SIGTERM to every process of a dyno and SIGKILL 30 s later. The Procfile
# starts workers with REMAP_SIGTERM=SIGQUIT, Celery's switch for this: pool processes ignore
# SIGTERM, and the worker makes a soft shutdown, giving running tasks this long to finish
# before it cancels them and hands them back to the broker (acks_late) for another worker.
# Room is left for the cold shutdown itself (about 5 s) inside the platform's 30.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env_float("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", 15)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Queue names carry a prefix so that two apps can share one broker; a worker started
# without -Q consumes exactly these three.
QUEUE_PREFIX = os.environ.get("CELERY_QUEUE_PREFIX", "helloworld")
QUEUES = {name: f"{QUEUE_PREFIX}.{name}" for name in ("high", "default", "low")}
CELERY_TASK_QUEUES = [Queue(full_name, routing_key=full_name) for full_name in QUEUES.values()]
CELERY_TASK_DEFAULT_QUEUE = QUEUES["default"]
CELERY_TASK_CREATE_MISSING_QUEUES = False
# Remote control (inspect, revoke, purge) and events on exchanges of the app's own too: with
# Celery's shared default, one app's `inspect` would list the other app's workers.
CELERY_CONTROL_EXCHANGE = QUEUE_PREFIX
CELERY_EVENT_EXCHANGE = f"{QUEUE_PREFIX}.celeryev"

CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "tasks_app.beat.scheduler:DatabaseScheduler"
# Save each run time as soon as it is sent (not every 3 minutes), so that a beat taking over
# from a crashed one knows what was already sent.
CELERY_BEAT_SYNC_EVERY = 1
# When several beats run, one holds a lease in the database and sends; if it dies, another
# takes over once the lease runs out (tasks_app.beat.lease). Shorter means a quicker takeover
# and more frequent renewals; it must stay well above beat's 2 s check.
BEAT_LEASE_SECONDS = max(6, env_int("BEAT_LEASE_SECONDS", 15))
# Scheduler add-on mode (no beat process; an add-on runs `manage.py send_due_tasks`): how often, in
# seconds, the add-on runs it (600, 3600 or 86400 on Heroku Scheduler). 0: a beat process runs.
# Only for warnings: a schedule finer than this runs late and skips runs, and the form and API say so.
SCHEDULER_ADDON_INTERVAL = env_int("SCHEDULER_ADDON_INTERVAL", 0)
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- Django's Tasks framework (tasks_app/djtasks) -------------------------------------------
# `@task` functions and `.enqueue()` run on the site's Celery workers, recorded like any task; the
# queues are the site's short names. Django 6.0+ has `django.tasks`; on 5.2 the django-tasks
# backport is an app of its own (its checks, and its reset of the backends when a test changes TASKS).
TASKS = {"default": {"BACKEND": "tasks_app.djtasks.backend.CeleryBackend", "QUEUES": list(QUEUES)}}
if find_spec("django.tasks") is None:
    INSTALLED_APPS.append("django_tasks")

# --- Who may do what (tasks_app/access.py, tasks_app/ratelimit.py) ---------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Per user and minute, on enqueue (each task of a bulk request counts) and on creating periodic
# tasks; 0 turns a limit off. Local mode has no users and so no limits.
RATE_LIMITS_PER_MINUTE = {
    "enqueue": env_int("RATE_LIMIT_ENQUEUE_PER_MINUTE", 60),
    "schedule": env_int("RATE_LIMIT_SCHEDULE_PER_MINUTE", 10),
}

# Failed logins (site and admin) per fixed window of LOGIN_FAILURE_WINDOW_SECONDS: this many per
# account from one address, and this many from one address whatever the account. Past either, that
# login is refused with a message until the window ends, except that past the address's cap an account
# with no failures of its own there still gets in with its right password (one guesser must not lock
# out everyone behind a shared address); the real user, from another address or a few minutes later,
# is never locked out for long. 0 turns a limit off (tasks_app/login_throttle.py).
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 300)
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30)

# --- Health and the dashboard (tasks_app/selectors/monitoring.py) ----------------------------------------
# The broker's and workers' state is asked for at most once per this many seconds, whatever the
# number of health checks and open dashboards (which refresh every 5 s); 0 asks on every request.
MONITOR_REFRESH_SECONDS = env_int("MONITOR_REFRESH_SECONDS", 5)
# The dashboard's figures read from the task tables (counts by state, the chart, the stats per task type:
# tasks_app/selectors/dashboard.py, task_stats.py) are computed at most once per this many seconds per web
# process, however many dashboards refresh (every 5 s each) and /api/stats/ calls; 0: on every request.
DASHBOARD_FIGURES_CACHE_SECONDS = env_float("DASHBOARD_FIGURES_CACHE_SECONDS", 5)
# GET /metrics (tasks_app/api/metrics.py) in production: Prometheus sends this as
# `Authorization: Bearer <token>` (a staff session works too); empty accepts no token. Local mode needs none.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- The JSON API (tasks_app/api/) --------------------------------------------------------------
# POST /api/tasks/bulk/ takes at most this many tasks, in a body of at most this many bytes: bounded,
# so one request can neither exhaust a web process's memory nor hold the database for long. The
# other endpoints keep their 256 KiB cap (validation.MAX_BODY_BYTES).
API_BULK_MAX_TASKS = env_int("API_BULK_MAX_TASKS", 5000)
API_BULK_MAX_BODY_BYTES = env_int("API_BULK_MAX_BODY_BYTES", 8 * 1024 * 1024)
# The web server closes a connection whose request head is not whole after WEB_HEADER_TIMEOUT
# (helloworld.web); a body must then arrive whole within this many seconds, or the client gets a
# 408 (helloworld.asgi). 30 s is the router's own limit for a whole request on the platform.
WEB_BODY_TIMEOUT = env_float("WEB_BODY_TIMEOUT", 30)
# Requests run at once per web process, each in a thread that keeps its database connection
# (CONN_MAX_AGE); lower it on a database plan with few connections.
WEB_THREADS = env_int("WEB_THREADS", 8)
# Retry all failed / revoke all queued or running (page, API, CLI) act on at most this many tasks
# per request, the oldest first, and say how many remain: like a bulk enqueue, bounded.
BULK_ACTION_MAX_TASKS = env_int("BULK_ACTION_MAX_TASKS", 5000)
# An export of the tasks list (CSV or JSON: page, API, CLI) streams at most this many rows, newest
# first, read in keyset pages: a safe default that keeps one download to a few megabytes and seconds;
# the JSON export says `"truncated": true` when the filters select more.
TASK_EXPORT_MAX_ROWS = env_int("TASK_EXPORT_MAX_ROWS", 10000)

# --- fetch_url ----------------------------------------------------------------------------
FETCH_URL_TIMEOUT = env_float("FETCH_URL_TIMEOUT", 10)  # per socket operation
FETCH_URL_DEADLINE = env_float("FETCH_URL_DEADLINE", 30)  # whole download
FETCH_URL_MAX_BYTES = env_int("FETCH_URL_MAX_BYTES", 10 * 1024 * 1024)
# fetch_url refuses loopback, private, link-local (cloud metadata), shared and other non-public
# addresses. For local development only: comma-separated networks it may fetch from anyway, e.g.
# "127.0.0.0/8,::1/128" for a server on this machine. Empty by default; never set it on a platform.
FETCH_URL_ALLOWED_NETWORKS = env_list("FETCH_URL_ALLOWED_NETWORKS", [])

# --- Retry and revoke -----------------------------------------------------------------------
# The signal `revoke --terminate` sends the pool process running a task. Not Celery's default
# SIGTERM: under the Procfile's REMAP_SIGTERM=SIGQUIT pool processes ignore SIGTERM, and the task
# runs on. SIGQUIT stops it too, but may leave a core file. tests/worker/test_retry_revoke.py checks
# all three on a real prefork worker started as the Procfile starts it.
TASK_TERMINATE_SIGNAL = os.environ.get("TASK_TERMINATE_SIGNAL", "SIGKILL")

# fetch_url retries network errors (refused, reset, timed out), never refusals of an address:
# this many retries after the first attempt, waiting about BACKOFF, 2x, 4x... seconds (with
# random jitter, capped at BACKOFF_MAX) between them.
FETCH_URL_MAX_RETRIES = env_int("FETCH_URL_MAX_RETRIES", 3)
FETCH_URL_RETRY_BACKOFF = env_int("FETCH_URL_RETRY_BACKOFF", 2)
FETCH_URL_RETRY_BACKOFF_MAX = env_int("FETCH_URL_RETRY_BACKOFF_MAX", 60)
