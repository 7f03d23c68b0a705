"""Settings for kmsconsole, read from the environment with defaults that run on SQLite.

``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to Redis; nothing else differs
between a laptop and a deployment except what an environment variable turns on.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


DATA_DIR = Path(env_str("KMSCONSOLE_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    _secret_file = DATA_DIR / "django-secret-key"
    if not _secret_file.exists():
        fd = os.open(_secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
    SECRET_KEY = _secret_file.read_text().strip()

ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS", "*").split(",") if h.strip()]

# The root key wraps every stored secret (key material, IAM secret keys). It comes from
# KMSCONSOLE_ROOT_KEY, or from a 0600 file created on first run under the data directory.
KMSCONSOLE_ROOT_KEY = os.environ.get("KMSCONSOLE_ROOT_KEY")
KMSCONSOLE_ROOT_KEY_FILE = Path(env_str("KMSCONSOLE_ROOT_KEY_FILE", str(DATA_DIR / "root-key")))
# AWS documented 10 on-demand rotations per key until 2025; newer docs say 25.
KMSCONSOLE_ON_DEMAND_ROTATION_LIMIT = env_int("KMSCONSOLE_ON_DEMAND_ROTATION_LIMIT", 10)
# Requests larger than this are refused before they are parsed (AWS KMS allows far less
# payload than this in any operation; a policy is at most 32 KB).
KMSCONSOLE_MAX_REQUEST_BYTES = env_int("KMSCONSOLE_MAX_REQUEST_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = KMSCONSOLE_MAX_REQUEST_BYTES

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "kmsconsole.iam",
    "kmsconsole.kms",
    "kmsconsole.audit",
    "kmsconsole.monitoring",
    "kmsconsole.api",
    "kmsconsole.console",
    "labs",
    "kmsconsole.classroom",
]

MIDDLEWARE = [
    "kmsconsole.api.middleware.AWSEndpointMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kmsconsole.urls"
WSGI_APPLICATION = "kmsconsole.wsgi.application"

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
                "kmsconsole.console.context_processors.console",
            ],
        },
    }
]

_sqlite_url = f"sqlite:///{DATA_DIR / 'kmsconsole.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _sqlite_url, conn_max_age=env_int("CONN_MAX_AGE", 600)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at the
    # start of a transaction, so concurrent writers queue instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Connections are kept like PostgreSQL's (CONN_MAX_AGE): closing the last connection
    # to a WAL database checkpoints and removes the WAL file, which cost more than the
    # rest of an Encrypt request did when every request opened and closed one.

    # A file, not memory, so that a server process started by the tests shares it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-kmsconsole.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:dashboard"
LOGOUT_REDIRECT_URL = "root"

REDIS_URL = os.environ.get("REDIS_URL", "")

# Celery: Redis when REDIS_URL is set, else an embedded broker and result store on disk.
CELERY_DATA_DIR = DATA_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    for _folder in ("queue", "processed", "results", "control"):
        (CELERY_DATA_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_DATA_DIR / "control"),
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_DATA_DIR / 'results'}"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
SWEEP_INTERVAL_SECONDS = env_int("KMSCONSOLE_SWEEP_INTERVAL_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    "rotate-due-keys": {"task": "kmsconsole.kms.tasks.rotate_due_keys_task", "schedule": SWEEP_INTERVAL_SECONDS},
    "expire-pending-deletions": {
        "task": "kmsconsole.kms.tasks.expire_pending_deletions_task",
        "schedule": SWEEP_INTERVAL_SECONDS,
    },
    "evaluate-alarms": {"task": "kmsconsole.monitoring.tasks.evaluate_alarms_task", "schedule": SWEEP_INTERVAL_SECONDS},
    "expire-sts-sessions": {
        "task": "kmsconsole.monitoring.tasks.expire_sessions_task",
        "schedule": SWEEP_INTERVAL_SECONDS,
    },
    "deliver-webhooks": {
        "task": "kmsconsole.monitoring.tasks.deliver_due_webhooks_task",
        "schedule": SWEEP_INTERVAL_SECONDS,
    },
    # Rules are also evaluated on every relevant change; this catches the rest.
    "evaluate-compliance-rules": {
        "task": "kmsconsole.monitoring.tasks.evaluate_rules_task",
        "schedule": env_int("KMSCONSOLE_COMPLIANCE_INTERVAL_SECONDS", 3600),
    },
    "refresh-classes": {
        "task": "kmsconsole.classroom.tasks.refresh_classes_task",
        "schedule": env_int("KMSCONSOLE_CLASSROOM_REFRESH_SECONDS", 10),
    },
    "delete-expired-class-workspaces": {
        "task": "kmsconsole.classroom.tasks.delete_expired_workspaces_task",
        "schedule": 3600,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
