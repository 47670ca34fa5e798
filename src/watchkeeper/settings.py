"""Watchkeeper settings: one file, every value from the environment, safe defaults.

With nothing set, Watchkeeper runs on SQLite with the in-process real-time broker, the database task
backend and console email: the embedded default that `make run` serves. Each scale-out part is switched
on by one variable (`DATABASE_URL`, `REDIS_URL`, `EMAIL_URL`).
"""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("WATCHKEEPER_DATA_DIR", "var")).resolve()

DEBUG = env_bool("DEBUG")
SITE_NAME = os.environ.get("SITE_NAME", "Watchkeeper")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# A server refuses to start without a real key unless DEBUG is on (see core.startup.check_secret_key);
# management commands such as `migrate` still work, with a throwaway key that signs nothing lasting.
SECRET_KEY_FROM_ENV = bool(os.environ.get("SECRET_KEY"))
SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-" + secrets.token_urlsafe(32)
# Old keys keep existing sessions and signed links valid while a new key is rolled out.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "watchkeeper.core",
    "watchkeeper.realtime",
    "watchkeeper.accounts",
    "watchkeeper.exchange",
    "watchkeeper.security",
    "watchkeeper.mail",
    "watchkeeper.search",
    "watchkeeper.helpcenter",
    "watchkeeper.answers",
    "watchkeeper.tickets",
    "watchkeeper.chat",
    "watchkeeper.webhooks",
    "watchkeeper.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Authentication runs before LocaleMiddleware so a signed-in user's saved language can steer it.
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "watchkeeper.core.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "watchkeeper.accounts.middleware.StaffSecondFactorMiddleware",
]

ROOT_URLCONF = "watchkeeper.urls"
ASGI_APPLICATION = "watchkeeper.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "watchkeeper.core.context_processors.site",
                "watchkeeper.tickets.context_processors.notifications",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------------------------------
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'watchkeeper.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers proceed while one writer commits; IMMEDIATE transactions take the write lock up
    # front so concurrent writers wait (busy timeout) instead of failing with "database is locked".
    # Reads go through a memory map of the file (the operating system's page cache, shared by every
    # connection) rather than each connection's own small page cache, so a new connection does not start
    # cold: on the 100,000-document search benchmark, query p99 after reconnecting 10.0 -> 8 ms.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        " PRAGMA mmap_size=268435456; PRAGMA cache_size=-16000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The test database's name. On SQLite a file rather than Django's shared-cache memory database: the browser
# tests' live server writes from several threads, and shared cache fails a second writer at once with
# "database table is locked" where a WAL file waits its busy timeout, as a served install does.
if os.environ.get("DB_TEST_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["DB_TEST_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate limits and real-time fan-out across processes -------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Real-time events' pub/sub channels start with this; by default "wk:rt:<database number>:", so installs
# on different database numbers of one Redis server stay apart (pub/sub ignores the number).
REALTIME_CHANNEL_PREFIX = os.environ.get("REALTIME_CHANNEL_PREFIX", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REALTIME_BROKER = "redis" if REDIS_URL else "memory"

# --- Background tasks -------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# `serve` runs a worker thread in-process unless a separate `watchkeeper worker` is deployed.
RUN_WORKER_IN_PROCESS = env_bool("RUN_WORKER_IN_PROCESS", True)

# --- Auth -------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "watchkeeper.accounts.backends.PermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "watchkeeper.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# Lock an account's password log-in after this many failures within the window (allauth rate limit,
# counted per account); the per-IP limit slows down guessing across many accounts.
LOGIN_ATTEMPTS_LIMIT = int(os.environ.get("LOGIN_ATTEMPTS_LIMIT", "5"))
LOGIN_ATTEMPTS_TIMEOUT = int(os.environ.get("LOGIN_ATTEMPTS_TIMEOUT", "300"))
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"20/m/ip,{LOGIN_ATTEMPTS_LIMIT}/{LOGIN_ATTEMPTS_TIMEOUT}s/key",
    # The chat widget: signing in with the exchange's token, and starting a guest chat (which may email).
    "chat_identify": "30/m/ip",
    "chat_guest": "10/h/ip",
}
ALLOW_SIGNUP = env_bool("ALLOW_SIGNUP", True)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SITE_URL.startswith("https")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Email ------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@watchkeeper.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def email_settings(url: str) -> dict[str, object]:
    """Translate EMAIL_URL (smtp://user:pass@host:587?tls=1, smtps://..., console://, locmem://,
    file:///path) into Django's EMAIL_* settings."""
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ValueError(f"EMAIL_URL scheme {parts.scheme!r} is not one of {', '.join(backends)}")
    result: dict[str, object] = {"EMAIL_BACKEND": backends[parts.scheme]}
    if parts.scheme == "file":
        result["EMAIL_FILE_PATH"] = parts.path
    if parts.scheme in {"smtp", "smtps"}:
        query = parse_qs(parts.query)
        result.update(
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=parts.port or (465 if parts.scheme == "smtps" else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=query.get("tls", ["0"])[0] in {"1", "true"},
            EMAIL_TIMEOUT=int(query.get("timeout", ["20"])[0]),
        )
    return result


globals().update(email_settings(os.environ.get("EMAIL_URL", "")))

# Inbound: the support addresses customers write to (besides DEFAULT_FROM_EMAIL). `watchkeeper smtpd`
# accepts mail for these only, and mail *from* them is a loop and is ignored.
INBOUND_EMAIL_ADDRESSES = [
    address.strip().lower()
    for address in os.environ.get("INBOUND_EMAIL_ADDRESSES", "").split(",")
    if address.strip()
]
INBOUND_EMAIL_MAX_BYTES = int(os.environ.get("INBOUND_EMAIL_MAX_BYTES", str(50 * 1024 * 1024)))


def imap_mailboxes(value: str) -> list[dict[str, object]]:
    """Parse IMAP_MAILBOXES: comma-separated `imaps://user:password@host:993/INBOX` URLs (also
    `imap://…?starttls=1`, and plain `imap://` for a server on the same host), each optionally with
    `processed=FOLDER` (move mail there once stored; by default it is only flagged \\Seen) and `timeout`
    (seconds). User, password and folders are percent-decoded, so `@ : / , % ? #` in them must be encoded.

    Entries are dicts so that Django's error reports hide the "password" key as they hide other secrets;
    errors name the entry's position and never repeat the URL, which holds the password.
    """
    mailboxes: list[dict[str, object]] = []
    for position, url in enumerate(value.split(","), start=1):
        if not url.strip():
            continue
        problem = f"IMAP_MAILBOXES entry {position}"
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ValueError(
                f"{problem} is not a valid URL (percent-encode @ : / , % ? # in the user and password)"
            ) from None
        if parts.scheme not in {"imap", "imaps"}:
            raise ValueError(f"{problem}: the scheme must be imaps:// or imap://")
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(query) - {"starttls", "processed", "timeout"}
        if unknown:
            raise ValueError(f"{problem}: unknown option(s) {', '.join(sorted(unknown))}")
        starttls = query.get("starttls", ["0"])[-1].lower() in {"1", "true", "yes", "on"}
        if starttls and parts.scheme == "imaps":
            raise ValueError(f"{problem}: starttls=1 goes with imap://, imaps:// is TLS from the start")
        username, password = unquote(parts.username or ""), unquote(parts.password or "")
        if not parts.hostname or not username or not password:
            raise ValueError(f"{problem}: a host, a user and a password are required")
        try:
            timeout = float(query.get("timeout", ["30"])[-1])
        except ValueError:
            raise ValueError(f"{problem}: timeout must be a number of seconds") from None
        folder = unquote(parts.path[1:]) or "INBOX"
        port = port or (993 if parts.scheme == "imaps" else 143)
        mailboxes.append(
            {
                # How logs and `poll-mail` name the mailbox: everything but the password.
                "name": f"{username} on {parts.hostname}:{port}/{folder}",
                "host": parts.hostname,
                "port": port,
                "security": "ssl" if parts.scheme == "imaps" else "starttls" if starttls else "plain",
                "username": username,
                "password": password,
                "folder": folder,
                "processed_folder": query.get("processed", [""])[-1],
                "timeout": timeout,
            }
        )
    return mailboxes


# Existing mailboxes (e.g. support@ at the exchange's mail provider) that the worker polls every minute.
IMAP_MAILBOXES = imap_mailboxes(os.environ.get("IMAP_MAILBOXES", ""))

# --- Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Names as their speakers write them, so readers find their language whatever the page language is.
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
    ("ja", "日本語"),
    ("ko", "한국어"),
    ("ru", "Русский"),
    ("es", "Español"),
    ("pt", "Português"),
    ("vi", "Tiếng Việt"),
    ("tr", "Türkçe"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("it", "Italiano"),
]
# Our catalogue first; then allauth's strings for the two locales allauth itself does not translate.
LOCALE_PATHS = [PACKAGE_DIR / "locale", PACKAGE_DIR / "locale_allauth"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
LANGUAGE_COOKIE_NAME = "wk_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Files ------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Uploaded help-center media are public. The app serves them itself unless a web server or object
# storage in front of it does (set SERVE_MEDIA=0 then).
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Ticket attachments are private: they live outside MEDIA_ROOT and are only served by a view that
# checks the reader may see the ticket.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", DATA_DIR / "private"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve static files straight from the apps when nobody ran collectstatic: the embedded default.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# WhiteNoise serves files with a synchronous iterator; under ASGI Django warns on each one. The cost is a
# thread hop per static file, which is fine: production puts static files behind nginx or a CDN.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

# --- Tickets ----------------------------------------------------------------------------------------
# A solved ticket can be reopened by its customer for this many days; then it closes for good.
TICKET_REOPEN_DAYS = int(os.environ.get("TICKET_REOPEN_DAYS", "7"))
# A ticket waiting on the customer: a reminder after this many days of silence, solved after this many.
TICKET_PENDING_REMINDER_DAYS = int(os.environ.get("TICKET_PENDING_REMINDER_DAYS", "3"))
TICKET_PENDING_SOLVE_DAYS = int(os.environ.get("TICKET_PENDING_SOLVE_DAYS", "7"))
# Transaction ids and addresses in messages link here ({} is the identifier); Blockchair searches
# most chains at once.
BLOCK_EXPLORER_URL = os.environ.get("BLOCK_EXPLORER_URL", "https://blockchair.com/search?q={}")

# --- Live chat -----------------------------------------------------------------------------------------
# An agent has this long to accept a chat offered to them before it goes to the next agent.
CHAT_OFFER_SECONDS = int(os.environ.get("CHAT_OFFER_SECONDS", "30"))
# A chat nobody has written in for this long while the bot holds it is ended (the bot answered, or the
# customer left): it must not sit open and breach an SLA nobody asked for.
CHAT_BOT_IDLE_MINUTES = int(os.environ.get("CHAT_BOT_IDLE_MINUTES", "30"))
# Handling time assumed for the wait estimate until a team has finished enough chats to measure it.
CHAT_DEFAULT_HANDLING_SECONDS = int(os.environ.get("CHAT_DEFAULT_HANDLING_SECONDS", "300"))
# How often one chat's transcript may be emailed, per hour.
CHAT_TRANSCRIPT_EMAILS_PER_HOUR = int(os.environ.get("CHAT_TRANSCRIPT_EMAILS_PER_HOUR", "3"))
# The chat widget on the exchange's own site (docs/chat-widget.md). Its back end signs who the customer
# is with one of these shared secrets (a JWT, HS256, with "exp"); several let a secret be rotated.
CHAT_IDENTITY_SECRETS = env_list("CHAT_IDENTITY_SECRETS", "")
# A token valid for longer than this is refused: a leaked one must not be a standing key to the account.
CHAT_IDENTITY_MAX_LIFETIME_SECONDS = int(os.environ.get("CHAT_IDENTITY_MAX_LIFETIME_SECONDS", "86400"))
# The pages allowed to embed the widget (Content-Security-Policy frame-ancestors), e.g.
# "https://www.example-exchange.com,https://app.example-exchange.com".
CHAT_WIDGET_ORIGINS = [origin.rstrip("/") for origin in env_list("CHAT_WIDGET_ORIGINS", "")]
# Visitors who are neither signed in nor vouched for by a token may chat, giving an email address for
# the answer and the transcript. Off by default: such a chat proves nothing about who is writing.
CHAT_ALLOW_GUESTS = env_bool("CHAT_ALLOW_GUESTS", False)

# --- The exchange's back office (docs/exchange-adapter.md) ---------------------------------------------
# Where Watchkeeper reads customers' accounts, deposits and withdrawals. Unset, a demo ledger in the
# database stands in for it (`make run`).
WATCHKEEPER_EXCHANGE_URL = os.environ.get("WATCHKEEPER_EXCHANGE_URL", "").rstrip("/")
# Every request is signed with HMAC-SHA256 under this key pair; the exchange issues both.
EXCHANGE_API_KEY = os.environ.get("EXCHANGE_API_KEY", "")
EXCHANGE_API_SECRET = os.environ.get("EXCHANGE_API_SECRET", "")
# Pages wait for the exchange at most this long: a ticket page must not hang on a slow back office.
EXCHANGE_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("EXCHANGE_CONNECT_TIMEOUT_SECONDS", "2"))
EXCHANGE_READ_TIMEOUT_SECONDS = float(os.environ.get("EXCHANGE_READ_TIMEOUT_SECONDS", "5"))
# Reads (never writes) are retried this many times after a refused connection or a 502/503/504.
EXCHANGE_RETRIES = int(os.environ.get("EXCHANGE_RETRIES", "2"))
# After this many failed calls in a row, calls fail at once for EXCHANGE_CIRCUIT_SECONDS, then one is tried.
EXCHANGE_CIRCUIT_FAILURES = int(os.environ.get("EXCHANGE_CIRCUIT_FAILURES", "5"))
EXCHANGE_CIRCUIT_SECONDS = float(os.environ.get("EXCHANGE_CIRCUIT_SECONDS", "30"))
# Ticket pages reuse what the exchange said for this long, so opening a ticket twice costs one call.
EXCHANGE_CACHE_SECONDS = int(os.environ.get("EXCHANGE_CACHE_SECONDS", "20"))

# --- Outgoing webhooks --------------------------------------------------------------------------------
# Off by default: a webhook URL must not reach the server itself or the private network (SSRF). Turn on
# only when receivers really live on the internal network.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))

# --- Audit log ---------------------------------------------------------------------------------------
# Entries are chained with an HMAC (core.audit) so that someone with only database access cannot alter
# one and rebuild the chain. The key is AUDIT_KEY, or else derived from SECRET_KEY; either must be the
# same in every process, `watchkeeper audit-verify` included. A replaced key goes into the fallbacks
# (AUDIT_KEY_FALLBACKS, or SECRET_KEY_FALLBACKS) for as long as entries made with it are kept.
AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
AUDIT_KEY_FALLBACKS = env_list("AUDIT_KEY_FALLBACKS", "")
# Entries older than this are removed daily (five years by default); 0 keeps them for ever.
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "1826"))

# --- Logging ----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "uvicorn.access": {"level": os.environ.get("ACCESS_LOG_LEVEL", "WARNING")},
    },
}
