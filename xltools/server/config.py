"""One intake instance lives in one folder (HOME): its settings file, the SQLite database (unless a
PostgreSQL URL is given), the stored uploads and the derived reports. Nothing under HOME is served
directly: every file goes out through a view that checks the role first."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

CONFIG_FILE = "xltools-serve.json"
MAX_UPLOAD_MB = 20


@dataclass
class Instance:
    edition: str
    year: int
    deadline: str = ""  # ISO date, or "" for none
    database_url: str = ""  # "" = SQLite in HOME


def config_path(home: Path) -> Path:
    return Path(home) / CONFIG_FILE


def read_instance(home: Path) -> Instance:
    raw = json.loads(config_path(home).read_text(encoding="utf-8"))
    return Instance(**{k: raw[k] for k in ("edition", "year", "deadline", "database_url") if k in raw})


def write_instance(home: Path, inst: Instance) -> None:
    from ..outputs import atomic_write_bytes

    atomic_write_bytes(config_path(home), json.dumps(asdict(inst), ensure_ascii=False, indent=2).encode("utf-8"))


def _secret_key(home: Path) -> str:
    path = Path(home) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def database_settings(home: Path, url: str) -> dict[str, Any]:
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(home) / "db.sqlite3"),
            # Each request thread keeps its connection: opening one (and its PRAGMAs) cost more than most queries.
            "CONN_MAX_AGE": 600,
            # WAL lets readers run while the checker writes; IMMEDIATE transactions avoid upgrade deadlocks.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    u = urlparse(url)
    if u.scheme not in ("postgres", "postgresql"):
        raise ValueError(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(u.path.lstrip("/")),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
        "CONN_MAX_AGE": 0,
    }


def settings_for(
    home: Path,
    database_url: str = "",
    debug: bool = False,
    hosts: tuple[str, ...] = (),
    secure_cookies: bool = True,
) -> dict[str, Any]:
    home = Path(home).resolve()
    for sub in ("files", "reports", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return {
        "DEBUG": debug,
        "SECRET_KEY": _secret_key(home),
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "[::1]", *hosts],
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "xltools.server.apps.IntakeConfig",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "xltools.server.access.LinkSessionMiddleware",
        ],
        "ROOT_URLCONF": "xltools.server.urls",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        "xltools.server.access.context",
                    ]
                },
            }
        ],
        "DATABASES": {"default": database_settings(home, database_url)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        ],
        "LANGUAGE_CODE": "zh-hans",
        "TIME_ZONE": "Asia/Shanghai",
        "USE_I18N": True,
        "USE_TZ": True,
        "LOGIN_URL": "intake:login",
        # Sessions are written to the database and read from this process's memory (one server process): a
        # request no longer reads its session row; logging out or a flush removes both.
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "xltools-sessions",
                "OPTIONS": {"MAX_ENTRIES": 5000},  # beyond it, the oldest are read from the database again
            }
        },
        "SESSION_COOKIE_SECURE": secure_cookies,
        "CSRF_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_AGE": 8 * 3600,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "CSRF_FAILURE_VIEW": "xltools.server.views.common.csrf_failure",
        "FILE_UPLOAD_TEMP_DIR": str(home / "tmp"),
        "FILE_UPLOAD_MAX_MEMORY_SIZE": 0,  # every upload goes to HOME/tmp, never held whole in memory
        "DATA_UPLOAD_MAX_MEMORY_SIZE": 1024 * 1024,
        "FILE_UPLOAD_PERMISSIONS": 0o600,
        # The one-line notices (已收到第 N 版 …, never a secret) travel in a signed cookie: keeping them in the session
        # cost two session writes per upload, each taking the database's write lock.
        "MESSAGE_STORAGE": "django.contrib.messages.storage.cookie.CookieStorage",
        "LOGGING_CONFIG": None,
        "XLTOOLS_HOME": str(home),
        "XLTOOLS_MAX_UPLOAD": MAX_UPLOAD_MB * 1024 * 1024,
    }


_configured: Path | None = None


def configure(home: Path, database_url: str | None = None, **kw: Any) -> None:
    """Configure Django for the instance in HOME (once per process) and set it up."""
    global _configured
    import django
    from django.conf import settings

    home = Path(home).resolve()
    if _configured is not None:
        if _configured != home:
            raise RuntimeError(f"already configured for {_configured}")
        return
    url = database_url if database_url is not None else os.environ.get("XLTOOLS_DATABASE_URL", "")
    if not url and config_path(home).exists():
        url = read_instance(home).database_url
    settings.configure(**settings_for(home, url, **kw))
    django.setup()
    _configured = home
