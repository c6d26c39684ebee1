"""Settings shared by every environment. Configuration comes from the environment
(django-environ); see .env.example for every variable."""

from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "patients",
    "sessions.apps.TherapySessionsConfig",
    "stepped_care",
    "appointments",
    "supervision",
    "reports",
    "outbox",
    "dataset",
    "feedback",
    "selfreferral",
    "questionnaires",
    "iapt",  # the project package: the whole-service demo command (load_demo)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.RequestContextMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.OTPRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "iapt.urls"
WSGI_APPLICATION = "iapt.wsgi.application"

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
                "supervision.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres:///iapt")}
# A unix-socket server is spelled with its directory percent-encoded as the host.
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes first: it refuses a locked-out user before any password is checked.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j M Y, H:i"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from npm (package.json + lock), never from a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/nhsuk", BASE_DIR / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"),
    ("public/css", BASE_DIR / "build" / "nhsuk"),  # compiled by make install (Makefile)
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Redis: a TCP URL (redis://host:port/db) or a unix socket (unix:///path?db=N).
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")


def celery_broker_url(redis_url: str) -> str:
    """Celery spells a unix-socket Redis as redis+socket://."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url


# Nothing on a request's write path reads the cache; short socket timeouts keep a
# Redis outage from holding a request that does.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "iapt",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Beat reads every crontab in UTC (issue 14 item 7): in Europe/London an hourly
# crontab skipped the repeated hour in October and a nightly one ran 23 or 25
# hours apart. A job that must run at a local wall-clock time says so in its
# task (it reads timezone.localtime()); the schedule itself never jumps.
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request publishes through the outbox (outbox/services.py): with Redis down it
# must fail fast and leave the message to the relay, never hang the request.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# Acks late (above): a task's message stays in Redis's `unacked` hash until the task
# returns, and a message whose worker died is delivered again once it has been
# unacknowledged for the visibility timeout (kombu's default is an hour). Sized to
# the longest task with a margin: the national export (2,000,000 rows) takes about
# 3 minutes and the full sweep under 1 (docs/benchmarks.md), so 10 minutes; the time
# limits below stop any task before its message could be delivered twice while it
# still runs. The restore scan runs every `unacked_restore_interval` seconds.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=600)
CELERY_TASK_TIME_LIMIT = int(CELERY_VISIBILITY_TIMEOUT * 0.9)
CELERY_TASK_SOFT_TIME_LIMIT = int(CELERY_VISIBILITY_TIMEOUT * 0.8)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
}
# A worker rides out a broker outage (docs/decisions/006-reliability.md): it keeps
# trying to reconnect for as long as the outage lasts rather than giving up after
# 100 tries and exiting, and on losing the connection it stops the acks-late tasks
# it was running, whose messages are delivered again (all tasks are idempotent),
# rather than finishing them with no way to acknowledge them.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The beat schedule lives here, in code, so it is reviewed like code.
CELERY_BEAT_SCHEDULE: dict = {
    # Every open case not reviewed in 28 days, and the clinical criteria (supervision/sweep.py).
    # Hourly incremental (cases with new evidence, and the overdue); nightly every case in full
    # at 02:35 UTC (02:35 GMT, 03:35 BST): crontabs are UTC, see CELERY_TIMEZONE.
    "supervision-flag-cases": {"task": "supervision.flag_cases", "schedule": crontab(minute=5)},
    "supervision-flag-cases-full": {
        "task": "supervision.flag_cases",
        "schedule": crontab(hour=2, minute=35),
        "kwargs": {"full": True},
    },
    # Publishes follow-up work a broker outage left in the outbox (outbox/services.py).
    "outbox-relay": {"task": "outbox.relay", "schedule": 60},
    # Sends any risk notification's email still unsent after a grace period (supervision/sweep.py).
    "supervision-email-notifications-due": {"task": "supervision.email_notifications_due", "schedule": 60},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="no-reply@talking-therapies.invalid")
# The site's address as a user reaches it: the only thing an email's link carries.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Case-management supervision's clock (DOMAIN.md "Supervision", configurable):
# the session's length and the minutes a case takes, by its most demanding flag.
SUPERVISION_SESSION_MINUTES = env.int("SUPERVISION_SESSION_MINUTES", default=60)
SUPERVISION_MINUTES_PER_CASE = {
    "risk": 10,
    "awaiting_step": 8,
    "step_change": 8,
    "deterioration": 8,
    "default": 5,
}
# The not-on-track criterion in a session's save (issue 21, supervision/sweep.py
# flags_raise_now). Always on; only bench case 6 turns it off, in the same run,
# to measure what the check adds to a session POST. The sweeps check it either way.
SUPERVISION_NOT_ON_TRACK_AT_ONCE = True

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Security (docs/decisions/005-security.md). Idle sessions end after this many
# seconds without a request; the user logs in again (accounts/middleware.py).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=15 * 60)
DRAFT_RETENTION_DAYS = env.int("DRAFT_RETENTION_DAYS", default=14)  # unsaved session-form drafts (issue 15)
# Lockout (django-axes): this many failures for one username from one address
# locks that pair for the cool-off; every failure is stored and logged.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Every failure is kept in the database with username and address (AccessFailureLog);
# the log lines show the address but mask the username, as a mistyped username is
# sometimes a password.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS = ["username"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Two-factor authentication (TOTP, django-otp) for every role: on in base and
# production; the demo, local and test settings may turn it off.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = "Talking Therapies"
ACCESS_LOG_PAGE_SIZE = 100
# Django's admin shows no TOTP key or QR code, to anyone (django-otp's setting):
# a secret seen once lets its viewer pass the second factor for ever.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# The one-use link to set a password (an administrator's reset, a new account) works this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)
# Records retention: overrides of accounts/retention.py's schedule, in years.
RETENTION_YEARS = {k: int(v) for k, v in env.dict("RETENTION_YEARS", default={}).items()}
# Content-Security-Policy (django-csp): only this site's own files; no inline
# script or style, no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap's icons are data: SVGs in its CSS
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Demo data (make run) is loaded only when this is true; production forces it off.
DEMO_ENABLED = env.bool("DEMO_ENABLED", default=False)
DEMO_PASSWORD = env("DEMO_PASSWORD", default="talking-therapies-demo")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Reports and exports (reports/). The pseudonymisation key makes the NHS number's
# keyed hash stable for a key: keep it secret, keep it the same across exports
# that must be linked, and rotate it to unlink them. Production has no default.
PSEUDONYMISATION_KEY = env("PSEUDONYMISATION_KEY", default="development-only-pseudonymisation-key")
# Carried by every pseudonym (`v<version>-<hash>`): bump it with every new key, so
# pseudonyms made under different keys never look linkable (reports/keys.py).
PSEUDONYMISATION_KEY_VERSION = env("PSEUDONYMISATION_KEY_VERSION", default="1")
# Export files are written here, never under a public media URL; in production a
# volume shared by web and worker containers.
EXPORT_ROOT = env.path("EXPORT_ROOT", default=BASE_DIR / "var" / "exports")
EXPORT_TTL_HOURS = env.int("EXPORT_TTL_HOURS", default=24)
# A running export writes a heartbeat every EXPORT_HEARTBEAT_SECONDS; one whose
# heartbeat is older than EXPORT_STALE_SECONDS lost its worker and is run again
# (from the start), up to EXPORT_MAX_ATTEMPTS runs, then marked failed with a
# "try again" (reports/services.py export_jobs_reap, from beat every minute).
EXPORT_HEARTBEAT_SECONDS = env.int("EXPORT_HEARTBEAT_SECONDS", default=15)
EXPORT_STALE_SECONDS = env.int("EXPORT_STALE_SECONDS", default=90)
EXPORT_MAX_ATTEMPTS = env.int("EXPORT_MAX_ATTEMPTS", default=3)
CELERY_BEAT_SCHEDULE["reports-reap-exports"] = {"task": "reports.reap_exports", "schedule": 60}
# Exports with more rows than this run as a Celery job with progress shown.
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=20000)
CELERY_BEAT_SCHEDULE["reports-expire-exports"] = {"task": "reports.tasks.expire_exports", "schedule": 60 * 60}
# The stored outcome summaries of referrals changed since the last run (reports/outcome_summary.py);
# the report page refreshes its own service's too, so this keeps the queue short, not the figures right.
CELERY_BEAT_SCHEDULE["reports-refresh-outcomes"] = {"task": "reports.refresh_outcomes", "schedule": 60}
# The monthly national submission (dataset/): every morning the job checks whether today is the
# month's first working day and builds the previous month's extract; builds that lost their worker
# are queued again (docs/decisions/020-national-data-set.md).
CELERY_BEAT_SCHEDULE["dataset-schedule-extracts"] = {
    "task": "dataset.tasks.schedule_extracts",
    "schedule": crontab(hour=6, minute=30),
}
CELERY_BEAT_SCHEDULE["dataset-rerun-stale-extracts"] = {"task": "dataset.tasks.rerun_stale_extracts", "schedule": 300}
# Outcome feedback (feedback/, docs/decisions/021-outcome-feedback.md): the expected course of
# recovery re-estimated nightly from each service's finished courses; the boundary percentile and
# the minimum courses per band and session are the service's to set.
OUTCOME_FEEDBACK = {
    "percentile": env.float("OUTCOME_FEEDBACK_PERCENTILE", default=0.75),
    "min_sample": env.int("OUTCOME_FEEDBACK_MIN_SAMPLE", default=30),
}
CELERY_BEAT_SCHEDULE["feedback-estimate-expected-courses"] = {
    "task": "feedback.estimate_expected_courses",
    "schedule": crontab(hour=3, minute=20),
}

# The REST API (docs/decisions/004-rest-api.md): tokens for integrations, the
# browser session (with CSRF) for pages; JSON only; lists paginated.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.ApiTokenAuthentication",
        "accounts.api.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["core.api.QueryFilterBackend", "core.api.UniqueOrderingFilter"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "PAGE_SIZE": 25,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NHS Talking Therapies case management API",
    "DESCRIPTION": (
        "The clinical record over HTTP: patients, referrals, sessions with their measures, risk, "
        "step changes, supervision flags and reviews, report figures and export jobs. The same access "
        "policy as the pages (404 outside the relationship), every read audited. Authenticate with "
        "`Authorization: Bearer <token>` (issued with `manage.py api_token_issue`) or the browser session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReferralStatusEnum": "patients.codes.ReferralStatus",
        "ProblemDescriptorEnum": "patients.codes.ProblemDescriptor",
        "StepChangeStatusEnum": "stepped_care.models.StepChangeStatus",
        "ExportStatusEnum": "reports.models.ExportStatus",
        "RiskLevelEnum": "sessions.api.RISK_LEVEL_CHOICES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.add_error_responses",
    ],
    # Swagger UI from the drf-spectacular-sidecar wheel, served as our own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Appointment reminders through GOV.UK Notify (appointments/reminders.py, decision 018).
# With no API key, reminders are recorded "not sent: messaging not configured".
NOTIFY_API_KEY = env("NOTIFY_API_KEY", default="")
NOTIFY_BASE_URL = env("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")
NOTIFY_SMS_TEMPLATE_ID = env("NOTIFY_SMS_TEMPLATE_ID", default="")
NOTIFY_EMAIL_TEMPLATE_ID = env("NOTIFY_EMAIL_TEMPLATE_ID", default="")
NOTIFY_TIMEOUT_SECONDS = env.int("NOTIFY_TIMEOUT_SECONDS", default=10)
REMINDER_CHANGE_CONTACT = env("REMINDER_CHANGE_CONTACT", default="call the number on your appointment letter")
REMINDER_CLAIM_STALE_SECONDS = env.int("REMINDER_CLAIM_STALE_SECONDS", default=300)
REMINDER_SEND_BATCH = env.int("REMINDER_SEND_BATCH", default=500)
CELERY_BEAT_SCHEDULE["appointments-reminders"] = {"task": "appointments.reminders_sweep", "schedule": 60}
# Questionnaires before the appointment (issue 20 item 3): their own Notify templates
# (the date, the time and the link: no name, nothing clinical); the day-before sweep.
QUESTIONNAIRE_SMS_TEMPLATE_ID = env("QUESTIONNAIRE_SMS_TEMPLATE_ID", default="")
QUESTIONNAIRE_EMAIL_TEMPLATE_ID = env("QUESTIONNAIRE_EMAIL_TEMPLATE_ID", default="")
QUESTIONNAIRE_RATE_PER_HOUR = env.int("QUESTIONNAIRE_RATE_PER_HOUR", default=30)
CELERY_BEAT_SCHEDULE["questionnaires-day-before"] = {"task": "questionnaires.day_before_sweep", "schedule": 60 * 60}
CELERY_BEAT_SCHEDULE["appointments-reminder-delivery"] = {"task": "appointments.reminders_delivery", "schedule": 300}

# Self-referral (issue 20, selfreferral/, decision 026). The service the public form
# refers to (its ODS code; blank: the only service); Notify templates for the
# acknowledgement and for a reply after a rejection (one "((message))" template per channel).
SELF_REFERRAL_SERVICE_ODS = env("SELF_REFERRAL_SERVICE_ODS", default="")
NOTIFY_SELF_REFERRAL_SMS_TEMPLATE_ID = env("NOTIFY_SELF_REFERRAL_SMS_TEMPLATE_ID", default="")
NOTIFY_SELF_REFERRAL_EMAIL_TEMPLATE_ID = env("NOTIFY_SELF_REFERRAL_EMAIL_TEMPLATE_ID", default="")
# Safe by construction (issue 20 item 4): a submission sooner than this after the first
# question is a bot's and is dropped without saying so; rate limits per address and per form.
SELF_REFERRAL_MIN_SECONDS = env.int("SELF_REFERRAL_MIN_SECONDS", default=20)
PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE = env.int("PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE", default=120)
SELF_REFERRAL_SUBMITS_PER_ADDRESS_PER_HOUR = env.int("SELF_REFERRAL_SUBMITS_PER_ADDRESS_PER_HOUR", default=5)
SELF_REFERRAL_SUBMITS_PER_MINUTE = env.int("SELF_REFERRAL_SUBMITS_PER_MINUTE", default=600)
