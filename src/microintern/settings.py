"""Settings for microintern, read from environment variables.

Every variable is listed, with its default, in README.md (the everyday ones) and
docs/deployment.md (all of them). Importing this module reads files but never writes one:
`python -m microintern init_keys` creates the var directory and the keys in it.
"""

import json
import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
# Data that is not code (SQLite database, keys, uploads, logs): ./var of the directory the
# process starts in, unless MICROINTERN_VAR_DIR says otherwise.
VAR_DIR = Path(os.environ.get("MICROINTERN_VAR_DIR", "var")).resolve()

ENVIRONMENT = os.environ.get("MICROINTERN_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = os.environ.get("DEBUG", "0" if PRODUCTION else "1") == "1"

# Outside production, without SECRET_KEY and before `init_keys` has written var/secret_key,
# this fixed key keeps a fresh checkout and the test suite working. It is public, so it
# signs nothing worth protecting; Django's deployment check flags its prefix, and the
# `microintern.W001` check says how to replace it.
DEVELOPMENT_SECRET_KEY = "django-insecure-microintern-development-only-never-use-in-production"  # noqa: S105 - public on purpose, refused in production
DEVELOPMENT_RESEARCH_KEY = "development-only-research-key-never-use-in-production"


def _development_key(file_name: str, fixed_key: str) -> str:
    """Outside production: the key `init_keys` wrote to var/<file_name>, else `fixed_key`."""
    key_file = VAR_DIR / file_name
    return key_file.read_text().strip() if key_file.exists() else fixed_key


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when MICROINTERN_ENV=production.")
    SECRET_KEY = _development_key("secret_key", DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost").split(",")
    if h.strip()
]
if not PRODUCTION:
    ALLOWED_HOSTS += ["testserver"]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "microintern.accounts.saml",
    "django_tasks",
    "django_tasks_db",
    "microintern.core",
    "microintern.accounts",
    "microintern.hosts",
    "microintern.programme",
    "microintern.applications",
    "microintern.mail",
    "microintern.mail.inbound",
    "microintern.insights",
    "microintern.surveys",
    "microintern.selection",
    "microintern.api",
]

MIDDLEWARE = [
    "microintern.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "microintern.accounts.language.AccountLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "microintern.core.middleware.StaffSessionLifetimeMiddleware",
    "microintern.core.middleware.StaffMFAMiddleware",
    "microintern.accounts.middleware.SignOnFormActionMiddleware",
    "microintern.core.middleware.SecurityHeadersMiddleware",
]

if PRODUCTION:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "microintern.urls"
WSGI_APPLICATION = "microintern.wsgi.application"

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
                "microintern.core.context_processors.site",
            ],
        },
    }
]

LOCK_TIMEOUT_SECONDS = float(os.environ.get("MICROINTERN_LOCK_TIMEOUT_SECONDS", "10"))
"""The longest a change waits for rows someone else is changing (core.locking) before it is
refused as busy; on SQLite, the longest a writer waits for the database's write lock."""

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'microintern.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "microintern.core.sqlite"  # makes var/ when it connects
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": LOCK_TIMEOUT_SECONDS,
        }
    )

# allauth keeps used authenticator codes (replay protection) and its rate-limit counters in
# the cache, so every web worker must see the same one: the database (its table is made by a
# core migration), or Redis when REDIS_URL is set. A per-process cache is refused by
# `check --deploy`.
CACHE_TABLE = "microintern_cache"  # made by core's migration 0002_cache_table
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
        }
    }
CACHES["default"]["KEY_PREFIX"] = os.environ.get("MICROINTERN_CACHE_KEY_PREFIX", "microintern")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# django-allauth: emailed sign-in codes for students and hosts, password + TOTP for staff.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]  # sign-up is closed; keeps password login
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 15 * 60
ACCOUNT_ADAPTER = "microintern.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
# Never mail an address that has no account (it would let anyone send our mail to anyone);
# the page after a request is the same either way, so accounts cannot be found out.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PREVENT_ENUMERATION = True
# The second factor for staff: an authenticator app (TOTP) or a passkey / security key
# (WebAuthn), with recovery codes for a lost device. Passkeys are a second factor only, never
# a way to sign in without the password. Passkeys over plain HTTP
# (MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN) are for tests on 127.0.0.1: `check --deploy` refuses it.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = os.environ.get("MICROINTERN_SITE_NAME", "Business Clinic micro-internships")
# A code typed as it rolls over still counts: one 30-second step either side (RFC 6238's
# allowance for delay), never more; each code is still accepted only once.
MFA_TOTP_TOLERANCE = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home_for_role"
LOGOUT_REDIRECT_URL = "public:home"
# Staff must have TOTP set up before using staff pages. Tests that say so turn it off;
# production refuses to start without it.
MICROINTERN_STAFF_REQUIRE_MFA = os.environ.get("MICROINTERN_STAFF_REQUIRE_MFA", "1") == "1"
if PRODUCTION and not MICROINTERN_STAFF_REQUIRE_MFA:
    raise ImproperlyConfigured(
        "MICROINTERN_STAFF_REQUIRE_MFA cannot be switched off when MICROINTERN_ENV=production: "
        "staff pages show personal data and need a second factor."
    )

# ---- Single sign-on (docs/deployment.md, "Single sign-on"). Beside the emailed codes:
# university accounts through OpenID Connect (Microsoft Entra ID, Google Workspace) and SAML
# 2.0 (Shibboleth: SSO_SAML_PROVIDERS, described in the guide). Each OpenID Connect
# provider is one JSON object in the list SSO_OIDC_PROVIDERS: id, name (shown on the button),
# server_url (the issuer), client_id, secret, and the site's own policy for it: trusted (it
# may vouch for an address, so a first sign-in makes the account), email_domains (the
# addresses it may vouch for; default UNIVERSITY_EMAIL_DOMAINS), groups_claim (default
# "groups"), mfa_amr and mfa_acr (the amr / acr values that count as a second factor for
# staff; empty: staff always pass this site's own second factor too).
SSO_OIDC_PROVIDERS = json.loads(os.environ.get("SSO_OIDC_PROVIDERS") or "[]")
SOCIALACCOUNT_ADAPTER = "microintern.accounts.sso_adapter.SocialAccountAdapter"
MFA_ADAPTER = "microintern.accounts.sso_adapter.MFAAdapter"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # the button posts: no sign-in started by a mere link
SOCIALACCOUNT_STORE_TOKENS = False
# Accounts are linked by the verified address in accounts.sso_adapter, never by allauth's
# email authentication (which would also wipe a staff member's password).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"


def sign_on_providers_setting(providers: list[dict]) -> dict:
    """allauth's SOCIALACCOUNT_PROVIDERS for the SSO_OIDC_PROVIDERS list, the site's policy
    for each provider kept in its app settings under "microintern"."""
    return {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": provider["id"],
                    "name": provider.get("name", provider["id"]),
                    "client_id": provider["client_id"],
                    "secret": provider.get("secret", ""),
                    "settings": {
                        "server_url": provider["server_url"],
                        "token_auth_method": provider.get(
                            "token_auth_method", "client_secret_post"
                        ),
                        "microintern": {
                            "trusted": bool(provider.get("trusted", False)),
                            "email_domains": provider.get("email_domains"),
                            "groups_claim": provider.get("groups_claim", "groups"),
                            "mfa_amr": provider.get("mfa_amr", []),
                            "mfa_acr": provider.get("mfa_acr", []),
                        },
                    },
                }
                for provider in providers
            ],
        }
    }


def saml_providers_setting(providers: list[dict]) -> dict:
    """allauth's SOCIALACCOUNT_PROVIDERS["saml"] for the SSO_SAML_PROVIDERS list (attribute
    names default to the eduPerson ones the UK Access Management Federation releases)."""
    return {
        "APPS": [
            {
                "provider_id": provider["id"],
                "name": provider.get("name", provider["id"]),
                "client_id": provider["id"],
                "settings": {
                    "attribute_mapping": {
                        "uid": [
                            "urn:oasis:names:tc:SAML:attribute:subject-id",
                            "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",  # eduPersonPrincipalName
                        ],
                        "email": [provider.get("email_attribute", SAML_MAIL)],
                    },
                    "idp": {
                        "entity_id": provider["entity_id"],
                        "sso_url": provider["sso_url"],
                        "x509cert": provider["x509cert"],
                        # Where the answer to the provider's own logout request goes (its
                        # HTTP-Redirect SingleLogoutService); unset: the browser stays here.
                        **({"slo_url": provider["slo_url"]} if provider.get("slo_url") else {}),
                    },
                    "sp": {"entity_id": provider.get("sp_entity_id", "")},
                    "advanced": {
                        "strict": True,
                        "want_assertion_signed": True,
                        "reject_idp_initiated_sso": True,
                        "allow_single_label_domains": bool(provider.get("single_label", False)),
                    },
                    "microintern": {
                        "trusted": bool(provider.get("trusted", False)),
                        "email_domains": provider.get("email_domains"),
                        "email_attribute": provider.get("email_attribute", SAML_MAIL),
                        "groups_attribute": provider.get(
                            "groups_attribute", "urn:oid:1.3.6.1.4.1.5923.1.1.1.7"
                        ),  # eduPersonEntitlement
                        "name_attribute": provider.get(
                            "name_attribute", "urn:oid:2.16.840.1.113730.3.1.241"
                        ),  # displayName
                        "email_verified_attribute": provider.get("email_verified_attribute", ""),
                        "mfa_amr": [],
                        "mfa_acr": provider.get("mfa_authn_contexts", []),
                    },
                },
            }
            for provider in providers
        ]
    }


SAML_MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
SSO_SAML_PROVIDERS = json.loads(os.environ.get("SSO_SAML_PROVIDERS") or "[]")
SOCIALACCOUNT_PROVIDERS = {
    **sign_on_providers_setting(SSO_OIDC_PROVIDERS),
    "saml": saml_providers_setting(SSO_SAML_PROVIDERS),
}
# ---- end of single sign-on

# ---- Rate limits and the client's address (docs/deployment.md, "Reverse proxy" and
# "Rate limits"). Behind N reverse proxies of ours, the client is the address the outermost
# one saw: X-Forwarded-For's N-th entry from the right (or the header named below). With no
# proxy configured X-Forwarded-For is ignored: anyone can write it.
MICROINTERN_TRUSTED_PROXY_COUNT = int(os.environ.get("MICROINTERN_TRUSTED_PROXY_COUNT", "0"))
MICROINTERN_TRUSTED_CLIENT_IP_HEADER = os.environ.get("MICROINTERN_TRUSTED_CLIENT_IP_HEADER", "")
ALLAUTH_TRUSTED_PROXY_COUNT = MICROINTERN_TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = MICROINTERN_TRUSTED_CLIENT_IP_HEADER or None
# allauth's limits ("amount/period/per"; ip = the client's address). The *_from_address
# ones count per email address and client address together, the *_for_email ones per email
# address, except from an address its account signed in from (accounts.ratelimit_forms).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "request_login_code": "20/m/ip",
    "request_login_code_from_address": "5/h/key",
    "request_login_code_for_email": "20/h/key",
    "reset_password": "20/m/ip",
    "reset_password_from_address": "3/h/key",
    "reset_password_for_email": "10/h/key",
    "reset_password_from_key": "20/m/ip",
    # allauth's lock of an account after 5 wrong passwords (or codes), which anyone could
    # trigger, is replaced by the progressive delay of accounts.ratelimits.
    "login_failed": None,
}
# The database cache deletes a third of its entries, rate-limit counters and used codes
# included, once it holds MAX_ENTRIES (300 by Django's default): a flood of requests that
# each leave an entry would wipe the counts. Expired entries are still removed on the way.
if CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
    CACHES["default"].setdefault("OPTIONS", {})["MAX_ENTRIES"] = 1_000_000
MICROINTERN_SIGN_IN_DELAY = {
    "PAIR_FREE_FAILURES": 3,  # per account from one address
    "ADDRESS_FREE_FAILURES": 10,  # per address, any accounts
    "ACCOUNT_FREE_FAILURES": 20,  # per account, from addresses it never signed in from
    "FIRST_WAIT_SECONDS": 1,
    "LONGEST_WAIT_SECONDS": 15 * 60,
    "FORGET_AFTER_SECONDS": 24 * 3600,
    "KNOWN_ADDRESS_SECONDS": 90 * 24 * 3600,
}
ACCOUNT_FORMS = {
    "request_login_code": "microintern.accounts.ratelimit_forms.LimitedRequestLoginCodeForm",
    "reset_password": "microintern.accounts.ratelimit_forms.LimitedResetPasswordForm",
}
MFA_FORMS = {
    "authenticate": "microintern.accounts.ratelimit_forms.DelayedAuthenticateForm",
    "reauthenticate": "microintern.accounts.ratelimit_forms.DelayedReauthenticateForm",
}
# ---- end of rate limits

# Where background tasks wait for a worker (docs/deployment.md, "Tasks"): `database` (the
# default: the database's own table, worked by `db_worker`, nothing else to run), or `rq`
# (Redis, worked by `rqworker`, for several machines); a dotted backend path also works (the
# tests use the immediate one). RQ needs Redis: `check` refuses `rq` without REDIS_URL.
TASKS_BACKENDS = {"database": "django_tasks_db.DatabaseBackend", "rq": "django_tasks_rq.RQBackend"}
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": TASKS_BACKENDS.get(TASKS_BACKEND, TASKS_BACKEND),
        "QUEUES": ["default"],
    }
}
TASKS_REDIS_URL = os.environ.get("TASKS_REDIS_URL") or os.environ.get("REDIS_URL", "")
if TASKS["default"]["BACKEND"] == TASKS_BACKENDS["rq"]:
    INSTALLED_APPS.append("django_rq")
    # A task (an email, a round's publication) may take minutes; RQ kills one after this.
    RQ_QUEUES = (
        {"default": {"URL": TASKS_REDIS_URL, "DEFAULT_TIMEOUT": 900}} if TASKS_REDIS_URL else {}
    )
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}  # the job class that runs django-tasks' tasks

_email = dj_email_url.parse(
    os.environ.get("EMAIL_URL", "smtp://localhost:25" if PRODUCTION else "console:")
)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
# Sign-in emails are sent while the person waits: a silent SMTP server costs this long.
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT_SECONDS") or _email.get("EMAIL_TIMEOUT") or 10)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Business Clinic <business-clinic@example.ac.uk>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-gb"
# English is the default and the fallback: a string without a Welsh translation is shown in
# English (`python -m microintern translation_report` says which are missing).
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", "staticfiles")).resolve()
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Programme rules
MICROINTERN = {
    "SITE_NAME": os.environ.get("MICROINTERN_SITE_NAME", "Business Clinic micro-internships"),
    "UNIVERSITY_EMAIL_DOMAINS": [
        d.strip().lower()
        for d in os.environ.get("UNIVERSITY_EMAIL_DOMAINS", "example.ac.uk").split(",")
        if d.strip()
    ],
    "STATEMENT_WORD_LIMIT": int(os.environ.get("STATEMENT_WORD_LIMIT", "150")),
    "OFFER_REPLY_HOURS": int(os.environ.get("OFFER_REPLY_HOURS", "72")),
    # Links in emails (confirm your interest, reply to an offer, feedback) start with this
    # (in production, by default https:// and the first of ALLOWED_HOSTS).
    "BASE_URL": os.environ.get(
        "MICROINTERN_BASE_URL",
        f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION and ALLOWED_HOSTS else "http://127.0.0.1:8000",
    ).rstrip("/"),
    # How long the "this is my address" link in the acknowledgement email works.
    "CONFIRM_LINK_DAYS": int(os.environ.get("CONFIRM_LINK_DAYS", "14")),
    # One reminder to a survey invitation still unanswered this many days after it was sent.
    "SURVEY_REMINDER_DAYS": int(os.environ.get("SURVEY_REMINDER_DAYS", "5")),
}

SESSION_COOKIE_HTTPONLY = True
# Students and hosts sign in with an emailed code and stay signed in for this long (the
# session is renewed only when they sign in again).
SESSION_COOKIE_AGE = int(os.environ.get("MICROINTERN_SESSION_DAYS", "14")) * 24 * 3600
# Staff, researchers and administrators see personal data: their session ends after
# IDLE_SECONDS without a request, and in any case MAX_SECONDS after it began.
MICROINTERN_STAFF_SESSION = {
    "IDLE_SECONDS": int(os.environ.get("MICROINTERN_STAFF_SESSION_IDLE_MINUTES", "30")) * 60,
    "MAX_SECONDS": int(os.environ.get("MICROINTERN_STAFF_SESSION_MAX_HOURS", "10")) * 3600,
}
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# LOG_FORMAT=json: one JSON object a line (time, level, logger, message, request id) for a
# log collector; otherwise plain lines. Every line of a request carries its id.
LOG_FORMATS = {
    "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    },
}
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"chosen": LOG_FORMATS[LOG_FORMAT]},
    "filters": {
        "client_errors_on_one_line": {"()": "microintern.core.logging.ClientErrorsOnOneLine"},
        "with_request_id": {"()": "microintern.core.logging.WithRequestId"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "chosen",
            "filters": ["with_request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # A 403 or 404 is one warning line, not a traceback.
        "django.request": {"filters": ["client_errors_on_one_line"]},
        "django.db.backends": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},  # fpdf2's font subsetting logs every glyph at INFO
    },
}

# Research export: pseudonymous identifiers are HMAC-SHA256(key, student number). The key is
# kept apart from the data: MICROINTERN_RESEARCH_KEY, or a file named by
# MICROINTERN_RESEARCH_KEY_FILE. Without one, production refuses to export; development uses
# var/research_key written by `init_keys`, else the fixed development key.
MICROINTERN_RESEARCH_KEY = os.environ.get("MICROINTERN_RESEARCH_KEY", "")
if not MICROINTERN_RESEARCH_KEY and os.environ.get("MICROINTERN_RESEARCH_KEY_FILE"):
    MICROINTERN_RESEARCH_KEY = Path(os.environ["MICROINTERN_RESEARCH_KEY_FILE"]).read_text().strip()
if not MICROINTERN_RESEARCH_KEY and not PRODUCTION:
    MICROINTERN_RESEARCH_KEY = _development_key("research_key", DEVELOPMENT_RESEARCH_KEY)

# Open Badges: the issuer's RSA private key (PEM) that signs every badge, kept apart from the
# data and never in the repository. Development uses var/badge_signing_key.pem written by
# `init_keys`; without the file, badges are refused with a sentence saying so.
MICROINTERN_BADGE_KEY_FILE = Path(
    os.environ.get("MICROINTERN_BADGE_KEY_FILE", VAR_DIR / "badge_signing_key.pem")
)
# After a key change, the public halves (PEM) of the keys used before, comma-separated, so
# the badges they signed still verify.
MICROINTERN_BADGE_RETIRED_KEY_FILES = [
    Path(f.strip())
    for f in os.environ.get("MICROINTERN_BADGE_RETIRED_KEY_FILES", "").split(",")
    if f.strip()
]

# Outbox: a "sending" row whose lease expired is retried (keep the lease well above
# EMAIL_TIMEOUT); temporary SMTP failures retry after FIRST_RETRY_SECONDS, doubling, up to
# MAX_ATTEMPTS attempts in all.
MICROINTERN_OUTBOX = {
    "LEASE_SECONDS": int(os.environ.get("OUTBOX_LEASE_SECONDS", "600")),
    "FIRST_RETRY_SECONDS": int(os.environ.get("OUTBOX_FIRST_RETRY_SECONDS", "60")),
    "MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8")),
}
# The API for the university's other systems: requests per token per window (the shared
# cache counts them), and webhook deliveries: a timeout per attempt, then retries after
# FIRST_RETRY_SECONDS, doubling, up to MAX_ATTEMPTS attempts in all.
MICROINTERN_API = {
    "RATE_LIMIT": int(os.environ.get("API_RATE_LIMIT", "600")),
    "RATE_WINDOW_SECONDS": int(os.environ.get("API_RATE_WINDOW_SECONDS", "60")),
    # Refused authentications (missing, unknown, revoked, expired tokens) per client address.
    "FAILED_AUTH_LIMIT": int(os.environ.get("API_FAILED_AUTH_LIMIT", "30")),
    "WEBHOOK_TIMEOUT_SECONDS": float(os.environ.get("API_WEBHOOK_TIMEOUT_SECONDS", "5")),
    "WEBHOOK_FIRST_RETRY_SECONDS": int(os.environ.get("API_WEBHOOK_FIRST_RETRY_SECONDS", "30")),
    "WEBHOOK_MAX_ATTEMPTS": int(os.environ.get("API_WEBHOOK_MAX_ATTEMPTS", "8")),
}
# `python -m microintern run_periodic` runs each job every so many seconds (add yours here).
MICROINTERN_PERIODIC_JOBS = {
    "microintern.mail.outbox.retry_due": int(os.environ.get("OUTBOX_SWEEP_SECONDS", "30")),
    "microintern.api.webhooks.retry_due": 30,
    "microintern.surveys.domain.invite_due": 3600,
    "microintern.insights.domain.apply_retention": 24 * 3600,
    "microintern.programme.domain.apply_interest_windows": 60,
    "microintern.applications.reminders.run_due_reminders": 300,
    "microintern.selection.domain.expire_offers": 60,
    "microintern.mail.inbound.tasks.poll_mailboxes": int(
        os.environ.get("INBOUND_POLL_SECONDS", "60")
    ),
    "microintern.insights.tasks.run_student_record_feed": int(
        os.environ.get("STUDENT_FEED_SECONDS", "3600")
    ),
}

# Several `run_periodic` processes may run; one is the scheduler by lease (core.periodic).
# A crashed scheduler's lease runs out after this long and another takes over.
PERIODIC_LEASE_SECONDS = float(os.environ.get("PERIODIC_LEASE_SECONDS", "60"))

# The student-record feed (docs/deployment.md, "Student-record feed"): the population import
# run unattended from a directory files are dropped into and/or an HTTPS address. Neither
# set: the job does nothing. Plain http:// is refused in production unless ALLOW_HTTP.
MICROINTERN_STUDENT_FEED = {
    "DROP_DIR": os.environ.get("STUDENT_FEED_DROP_DIR", ""),
    "URL": os.environ.get("STUDENT_FEED_URL", ""),
    "TOKEN": os.environ.get("STUDENT_FEED_TOKEN", ""),
    "ALLOW_HTTP": os.environ.get("STUDENT_FEED_ALLOW_HTTP", "0") == "1",
    "TIMEOUT_SECONDS": float(os.environ.get("STUDENT_FEED_TIMEOUT_SECONDS", "30")),
    "MAX_BYTES": int(os.environ.get("STUDENT_FEED_MAX_BYTES", str(50 * 1024 * 1024))),
    # A dropped file is read once it has not changed for this long (still being copied).
    "SETTLE_SECONDS": int(os.environ.get("STUDENT_FEED_SETTLE_SECONDS", "60")),
    # Empty: the academic year containing the day of the import.
    "ACADEMIC_YEAR": os.environ.get("STUDENT_FEED_ACADEMIC_YEAR", ""),
    # Who gets the summary emails; empty: every active staff member and administrator.
    "NOTIFY": [
        a.strip() for a in os.environ.get("STUDENT_FEED_NOTIFY", "").split(",") if a.strip()
    ],
    "REASONS_IN_EMAIL": 10,
    # Staff hear of a failing download after this many failures in a row.
    "FAILURES_BEFORE_TELLING": int(os.environ.get("STUDENT_FEED_FAILURES_BEFORE_TELLING", "3")),
}

# Health checks for /healthz and the staff system page (`core.health`): each app its part.
MICROINTERN_HEALTH_CHECKS = [
    "microintern.core.health.database",
    "microintern.core.health.shared_cache",
    "microintern.core.health.task_worker",
    "microintern.core.health.periodic_jobs",
    "microintern.mail.outbox.health_check",
    "microintern.mail.inbound.tasks.health_check",
]

# Inbound email: mailboxes are configured in the admin (Mailbox); these are the rules.
MICROINTERN_INBOUND = {
    # A poller holds a mailbox for this long (renewed per message); a killed poller's lease
    # simply runs out.
    "LEASE_SECONDS": int(os.environ.get("INBOUND_LEASE_SECONDS", "300")),
    # At most this many acknowledgements to one address in 24 hours.
    "ACK_PER_ADDRESS_PER_DAY": int(os.environ.get("INBOUND_ACK_PER_DAY", "3")),
    # The authserv-id our own mail server writes in Authentication-Results; dmarc=pass from it
    # makes an emailed interest count at once. Empty: never trusted (a click is needed).
    "TRUSTED_AUTHSERV_ID": os.environ.get("INBOUND_TRUSTED_AUTHSERV_ID", ""),
    # A message larger than this is stored as its headers only (its size, hash and the reason
    # kept; over IMAP its body is never downloaded), so memory stays bounded.
    "MAX_MESSAGE_BYTES": int(os.environ.get("INBOUND_MAX_MESSAGE_BYTES", str(10 * 1024 * 1024))),
    # Value of the X-Microintern-Loop header on our automatic replies.
    "LOOP_VALUE": os.environ.get("INBOUND_LOOP_VALUE", "microintern"),
    # Other addresses that are ours (besides DEFAULT_FROM_EMAIL and the mailboxes' logins).
    "OWN_ADDRESSES": [
        a.strip().lower()
        for a in os.environ.get("INBOUND_OWN_ADDRESSES", "").split(",")
        if a.strip()
    ],
}
