"""A small OpenID Connect provider for the SSO tests (django-oauth-toolkit), run as its own
process on a local port: the site signs people in through it exactly as through Entra ID.

Everything it knows comes from the JSON file named by TEST_IDP_CONFIG (written by the test
fixture): its address, its signing key, its database file, its clients and its people with
the claims it vouches for. Test-only: never installed, never imported by the site.
"""

import json
import os
from pathlib import Path

CONFIG = json.loads(Path(os.environ["TEST_IDP_CONFIG"]).read_text())

SECRET_KEY = "test-identity-provider-only"  # noqa: S105 - a test process on 127.0.0.1
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.oidc_idp.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": CONFIG["database"]}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USE_TZ = True
LOGIN_URL = "/login/"
# Its cookies must not be confused with the site's, which also runs on 127.0.0.1.
SESSION_COOKIE_NAME = "idp_session"
CSRF_COOKIE_NAME = "idp_csrftoken"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": CONFIG["private_key"],
    # No OIDC_ISS_ENDPOINT: the issuer is the address it was reached at (its port is chosen
    # by the system when it starts).
    "OAUTH2_VALIDATOR_CLASS": "tests.oidc_idp.validator.ConfiguredClaims",
    "SCOPES": {"openid": "Sign in", "profile": "Name", "email": "Email address"},
    "PKCE_REQUIRED": True,
    "ALLOW_LOCALHOST_LOOPBACK": True,  # pytest-django's live server is on localhost
}
