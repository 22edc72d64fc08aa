"""Settings, read from the environment with safe defaults for the embedded run.

With nothing set: SQLite, a Celery broker in a SQLite file (no server), the
console email backend and DEBUG on. With ``DATABASE_URL`` and ``REDIS_URL``:
PostgreSQL and Redis, as in production and CI.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

from portal import logs as _logs

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# The portal's own error pages even with DEBUG on (portal/error_pages.py); false shows
# Django's debug pages to a developer.
FRIENDLY_ERROR_PAGES = env.bool("FRIENDLY_ERROR_PAGES", default=True)
# The embedded default gets a fixed development key; production must set one.
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="django-insecure-embedded-demo-key-change-me-for-production-0123456789"
    if DEBUG
    else "",
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
# The key of the pupil keys (portal/pupil_key.py): HMAC-SHA256 of the UPN under this
# per-LA secret. Never in the database; the demo (DEBUG on) has a fixed one. Without
# it (DEBUG off) entering a UPN fails loudly (ImproperlyConfigured), the rest works.
PUPIL_KEY_SECRET = env.str(
    "PUPIL_KEY_SECRET",
    default="embedded-demo-pupil-key-secret-not-for-real-pupils" if DEBUG else "",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "pgtrigger",
    "axes",
    "auditlog",
    "django_structlog",
    "crispy_forms",
    "crispy_forms_gds",
    # Account flows (password reset, single sign-on) from django-allauth; the portal's
    # own sign-in page stays Django's (accounts/ has the glue; docs/architecture.md §2).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "portal",
    "clusters",
    "funding",
    "panels",
    "budgets",
    "reports",
    "accounts",
    "demo",  # the demo county and its commands; not part of the product
]

MIDDLEWARE = [
    # Outermost: /healthz answers before sessions, the database or the Host check.
    "portal.health.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Binds the request id (and, once known, the user id) to every log line.
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Signs out a session unused for longer than its user's roles allow (after htmx's:
    # a page polling by itself is not the user).
    "accounts.middleware.IdleTimeoutMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.twofactor.middleware.TwoFactorMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
    # Innermost, so a view's exception reaches it first (portal/error_pages.py).
    "portal.error_pages.FriendlyErrorsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal",
            ],
            # Money is written one way everywhere: {{ amount|gbp }}.
            "builtins": ["portal.templatetags.money"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # The portal's server-side cursors (``.iterator()``: exports, backups, purges) read
    # every row; planned for the first tenth (PostgreSQL's default), a national payment
    # export took 3x as long.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c cursor_tuple_fraction=1".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web process share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
USING_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+IP after 5 failures for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_LOCKOUT_CALLABLE = "portal.views.locked_out"

# Who changed the set-up, and how (django-auditlog). Pupil data reads are audited
# separately (portal.ViewAudit); the ledger and timelines are append-only already.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "auth.user", "exclude_fields": ["password", "last_login"]},
    "clusters.district",
    "clusters.cluster",
    "clusters.school",
    "clusters.membership",
    "funding.fundingstream",
    "funding.needband",
    "budgets.termdates",
    "panels.panel",
    "panels.panelmember",
    "panels.meeting",
    "accounts.invitation",
    # Recovery codes made, and an administrator's reset (delete); the codes never.
    {
        "model": "otp_static.staticdevice",
        "exclude_fields": [
            "last_used_at",
            "throttling_failure_timestamp",
            "throttling_failure_count",
        ],
    },
    # Enrolment, confirmation and an administrator's reset (delete); not each use.
    {
        "model": "otp_totp.totpdevice",
        "exclude_fields": [
            "key",
            "drift",
            "last_t",
            "last_used_at",
            "throttling_failure_timestamp",
            "throttling_failure_count",
        ],
    },
)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end packages are installed from npm (never copied into the repo) and collected from here.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("govuk", NODE_MODULES / "govuk-frontend" / "dist" / "govuk"),
    ("htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("chartjs", NODE_MODULES / "chart.js" / "dist"),
]
# govuk-frontend's CSS asks for /assets/...; serve its assets folder from the root.
WHITENOISE_ROOT = NODE_MODULES / "govuk-frontend" / "dist" / "govuk"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # Pupil documents and report files: outside any served directory, reached only
    # through permission-checked views.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")},
    },
}
# Production: the private files in an S3-compatible object store (django-storages), so
# every web node and worker reads the same files. The bucket stays private: objects are
# written with a private ACL and only ever streamed through the checked views.
STORAGE_S3_BUCKET = env.str("STORAGE_S3_BUCKET", default="")
if STORAGE_S3_BUCKET:
    import botocore.config

    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": env.str("STORAGE_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("STORAGE_S3_REGION", default="") or None,
            "access_key": env.str("STORAGE_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("STORAGE_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("STORAGE_S3_PREFIX", default=""),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            # Fail fast and say so (portal.storage.StorageUnavailable) rather than hang.
            "client_config": botocore.config.Config(
                connect_timeout=env.float("STORAGE_S3_CONNECT_TIMEOUT", default=5.0),
                read_timeout=env.float("STORAGE_S3_READ_TIMEOUT", default=30.0),
                retries={"mode": "standard", "max_attempts": 3},
                signature_version="s3v4",
            ),
        },
    }
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media-not-served/"

# Uploads: checked by content, and refused above this size before being stored.
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# GIAS and statistics imports are read as a stream; a file above this is refused unread
# (the national GIAS extract is about 150 MB).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=300 * 1000 * 1000)
# An uploaded import's preview neither applied nor discarded is discarded (and its file
# deleted) after this many days.
IMPORT_PREVIEW_DAYS = env.int("IMPORT_PREVIEW_DAYS", default=7)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The retention schedule (funding/retention.py): years after a request's life ended
# (closed, withdrawn, declined, a deleted draft) until its documents, its free text and
# its pseudonymised pupil fields are removed, by the nightly beat. Six years after
# closure, as LAs keep their SEN support and grant records; the figures stay.
RETENTION_DOCUMENTS_YEARS = env.int("RETENTION_DOCUMENTS_YEARS", default=6)
RETENTION_FREE_TEXT_YEARS = env.int("RETENTION_FREE_TEXT_YEARS", default=6)
RETENTION_PUPIL_FIELDS_YEARS = env.int("RETENTION_PUPIL_FIELDS_YEARS", default=6)

# The LA's service standards.
TARGET_WORKING_DAYS_TO_DECISION = env.int("TARGET_WORKING_DAYS_TO_DECISION", default=15)
# The decision clock pauses while a request is returned to the school (the school holds
# it); an LA that counts that time too sets this off (funding.selectors.decision_clock).
DECISION_CLOCK_PAUSES_WHEN_RETURNED = env.bool("DECISION_CLOCK_PAUSES_WHEN_RETURNED", default=True)
SCHOOL_CONTRIBUTION_PER_PUPIL = env.str("SCHOOL_CONTRIBUTION_PER_PUPIL", default="6000.00")
# The LA's yearly cost of a placement, for the impact report's cost-avoidance estimate
# (each run can set its own).
IMPACT_UNIT_COSTS = {
    "specialist_placement": env.str("UNIT_COST_SPECIALIST_PLACEMENT", default="25000.00"),
    "ap_placement": env.str("UNIT_COST_AP_PLACEMENT", default="18000.00"),
}
LA_NAME = env.str("LA_NAME", default="Oxfordshire County Council (demo)")
LA_CODE = env.str("LA_CODE", default="931")

# Two-factor sign-in (django-otp, TOTP apps) for the people who see the most. Read from
# the environment, never from settings.DEBUG at run time (test runners turn that off):
# production (DEBUG off) enforces it; the embedded demo doesn't, so its printed logins work.
OTP_ENFORCED = env.bool("OTP_ENFORCED", default=not DEBUG)
# /api/schema/ and /api/docs/ are open to anyone only while developing (portal.api_docs).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=DEBUG)
# Membership roles, plus "staff": superusers and staff (the Django admin).
OTP_REQUIRED_ROLES = env.list(
    "OTP_REQUIRED_ROLES", default=["la_send_officer", "la_finance_officer", "dpo", "staff"]
)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Inclusion Funding Portal")
# Wrong codes: wait 1, 2, 4, 8... seconds before the next try (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Administrators reset a device by deleting it; they never see anyone's secret.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Invitations (accounts/): the emailed link works once, for this many days.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
# A bulk invitation file above this many rows is refused unread.
INVITATION_CSV_MAX_ROWS = env.int("INVITATION_CSV_MAX_ROWS", default=5000)

# django-allauth: password reset by email and single sign-on, never self sign-up (an
# account exists only once the LA has invited its person: accounts.adapters).
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"  # the invitation link proved the address
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # nothing is sent to an address without an account
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Inclusion Funding Portal: "
ACCOUNT_FORMS = {
    "reset_password": "accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # matched by the portal's own rules instead
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in buttons post (CSRF-protected)
# Single sign-on (OpenID Connect: Microsoft Entra ID, DfE Sign-in...): OIDC_PROVIDERS is a
# JSON list, one object per provider: {"id", "name", "issuer", "client_id", "secret",
# "domains": allowed email domains, "mfa_amr": amr values that count as two-factor}.
OIDC_PROVIDERS = env.json("OIDC_PROVIDERS", default=[])
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": p["id"],
                "name": p.get("name", p["id"]),
                "client_id": p["client_id"],
                "secret": p.get("secret", ""),
                "settings": {
                    "server_url": p["issuer"],
                    "domains": [d.lower().lstrip("@") for d in p.get("domains", [])],
                    "mfa_amr": p.get("mfa_amr", ["mfa"]),
                    **(
                        {"token_auth_method": p["token_auth_method"]}
                        if "token_auth_method" in p
                        else {}
                    ),
                },
            }
            for p in OIDC_PROVIDERS
        ],
    }
}

# Email: console backend in the demo.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="inclusion-funding@example.gov.uk")
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Celery: Redis when REDIS_URL is set, else a broker in a SQLite file.
REDIS_URL = env.str("REDIS_URL", default="")
VAR_DIR.mkdir(exist_ok=True)
STATIC_ROOT.mkdir(exist_ok=True)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A message a worker took and never acknowledged (acks_late) goes back to the queue
    # after this long. Longer than any task runs, so a live worker's long report is never
    # handed to a second one; a dead worker's report is sent again sooner, by its silent
    # heartbeat (REPORTS_STALE_AFTER_SECONDS, below).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=1800)
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CELERY_BROKER_URL = env.str(
        "CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
    )
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_IGNORE_RESULT = True  # results live in the database (reports.ReportRun)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
# A report's worker marks the run alive every REPORTS_HEARTBEAT_SECONDS; a running run
# silent for REPORTS_STALE_AFTER_SECONDS lost its worker and is sent again by the
# requeue beat (every minute): within two minutes of the worker's death.
REPORTS_HEARTBEAT_SECONDS = env.float("REPORTS_HEARTBEAT_SECONDS", default=10)
REPORTS_STALE_AFTER_SECONDS = env.float("REPORTS_STALE_AFTER_SECONDS", default=45)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Beat asks a worker to note the time every minute (portal.tasks.worker_heartbeat);
# readiness fails when the newest note is older than this (three missed beats).
WORKER_HEARTBEAT_STALE_AFTER_SECONDS = env.float(
    "WORKER_HEARTBEAT_STALE_AFTER_SECONDS", default=180
)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The portal's own schedule; beat copies it into django-celery-beat's tables, where
# an administrator can see, pause or re-time each job. Every task is idempotent.
CELERY_BEAT_SCHEDULE = {
    # Uploaded imports' files kept no longer than their preview is useful.
    "discard-old-import-previews": {
        "task": "clusters.tasks.discard_old_previews",
        "schedule": crontab(minute=45, hour=1),
    },
    # Closed requests' documents, text and pupil fields removed after their years.
    "apply-retention": {
        "task": "funding.tasks.apply_retention",
        "schedule": crontab(minute=15, hour=2),
    },
    "activate-due-funding": {
        "task": "panels.tasks.activate_due_funding",
        "schedule": crontab(minute=15, hour=6),
    },
    "mark-reviews-due": {
        "task": "panels.tasks.mark_reviews_due",
        "schedule": crontab(minute=20, hour=6),
    },
    "sweep-past-meetings": {
        "task": "panels.tasks.sweep_past_meetings",
        "schedule": crontab(minute=30, hour=1),
    },
    # Both reports for the county and every cluster, and the county's Schools Forum KPI
    # pack, at the start of each term.
    "termly-reports": {
        "task": "reports.tasks.produce_termly_reports",
        "schedule": crontab(minute=0, hour=6, day_of_month=1, month_of_year="1,4,9"),
    },
    # Every minute: the worker notes it is alive (the readiness check reads it).
    "worker-heartbeat": {
        "task": "portal.tasks.worker_heartbeat",
        "schedule": crontab(minute="*"),
    },
    # Every minute: a run whose worker died is sent again within two minutes.
    "requeue-stale-report-runs": {
        "task": "reports.tasks.requeue_stale_runs",
        "schedule": crontab(minute="*"),
    },
    "pay-due-instalments": {
        "task": "budgets.tasks.pay_due_instalments",
        "schedule": crontab(minute=0, hour=6),
    },
    # The budgets' balances against their ledgers, before the payment run reads them.
    "check-balances": {
        "task": "budgets.tasks.check_balances",
        "schedule": crontab(minute=30, hour=5),
    },
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "portal.twofactor.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
    # A service's refusal (portal.errors.DomainError) answers {"detail": ...} with its status.
    "EXCEPTION_HANDLER": "portal.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Inclusion Funding Portal API",
    "DESCRIPTION": "Requests, panels, budgets and reports, scoped to the signed-in user.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api_errors.document_errors",
        "funding.schema.totals_only_for_finance",
    ],
    # One name per choice set shared by several fields or apps.
    "ENUM_NAME_OVERRIDES": {
        "SEN2NeedEnum": "funding.models.SEN2Need",
        "DocumentKindEnum": "funding.models.DocumentKind",
        "LedgerEntryKindEnum": "budgets.models.EntryKind",
        "AgendaItemKindEnum": "panels.models.ItemKind",
        "ReportKindEnum": "reports.models.ReportKind",
        "DecisionOutcomeEnum": "panels.models.Outcome",
        "AppealOutcomeEnum": "panels.models.AppealOutcome",
        "ReviewResultEnum": "panels.models.ReviewResult",
        "FollowUpKindEnum": "panels.models.FollowUpKind",
        "MembershipRoleEnum": "clusters.models.Role",
        "SchoolImportKindEnum": "clusters.models.ImportKind",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Content Security Policy (django-csp 4): same-origin scripts and styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Sessions in the database (every node reads the same), each naming its user so "sign
# out everywhere" ends them all (accounts/sessions.py). A session unused for longer than
# its user's time-out is signed out: school staff and panel members after
# SESSION_IDLE_SCHOOL_MINUTES, the LA's officers and its data-protection officer sooner.
SESSION_ENGINE = "accounts.sessions"
SESSION_IDLE_SCHOOL_MINUTES = env.int("SESSION_IDLE_SCHOOL_MINUTES", default=8 * 60)
SESSION_IDLE_LA_MINUTES = env.int("SESSION_IDLE_LA_MINUTES", default=2 * 60)
# Before anyone signs in (and the longest a session can last unused).
SESSION_COOKIE_AGE = max(SESSION_IDLE_SCHOOL_MINUTES, SESSION_IDLE_LA_MINUTES) * 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"  # JSON for the API
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs (portal/logs.py): JSON lines on stdout in production, readable lines while
# developing; each line of a request (and of the tasks it queues) has its request_id.
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
if LOG_FORMAT not in ("json", "console"):
    raise environ.ImproperlyConfigured("LOG_FORMAT must be json or console")
LOGGING = _logs.logging_config(
    LOG_FORMAT,
    level=env.str("LOG_LEVEL", default="WARNING"),
    request_level=env.str("LOG_REQUEST_LEVEL", default="INFO"),
)
_logs.configure_structlog()
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# A balancer's or proxy's X-Request-ID names the request in the logs.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# The worker and beat log through LOGGING too, rather than Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Error reports to Sentry (portal/sentry.py), only when a DSN is set; pupil fields,
# request bodies, cookies and query strings are scrubbed before an event leaves.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
if SENTRY_DSN:
    from portal import sentry as _sentry

    _sentry.init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=SENTRY_RELEASE)
