"""Request-wide policies: staff-side sessions pass their second factor and are short;
a strict Content Security Policy and Permissions-Policy on every page."""

import re
import time
import uuid
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

from .logging import request_id

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
# Passkeys (WebAuthn) are a staff second factor: this site itself may use them, no frame may.
PERMISSIONS_POLICY = ", ".join(
    [
        "publickey-credentials-get=(self)",
        "publickey-credentials-create=(self)",
    ]
    + [
        f"{feature}=()"
        for feature in (
            "accelerometer",
            "autoplay",
            "camera",
            "display-capture",
            "encrypted-media",
            "fullscreen",
            "geolocation",
            "gyroscope",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "picture-in-picture",
            "screen-wake-lock",
            "serial",
            "usb",
            "xr-spatial-tracking",
        )
    ]
)


class SecurityHeadersMiddleware:
    """Send a strict CSP (our pages and the Django admin use no inline script or style and
    no outside hosts) and a Permissions-Policy that turns off every device feature."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


SESSION_STARTED_KEY = "microintern_staff_session_started"
SESSION_LAST_SEEN_KEY = "microintern_staff_session_last_seen"


class StaffSessionLifetimeMiddleware:
    """End a staff, researcher or administrator session after
    MICROINTERN_STAFF_SESSION["IDLE_SECONDS"] without a request, and in any case
    MICROINTERN_STAFF_SESSION["MAX_SECONDS"] after it began; the person signs in again.

    Students and hosts keep the site-wide session length (SESSION_COOKIE_AGE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.needs_mfa:
            limits = settings.MICROINTERN_STAFF_SESSION
            session = request.session
            now = time.time()
            started = session.setdefault(SESSION_STARTED_KEY, now)
            last_seen = session.get(SESSION_LAST_SEEN_KEY, now)
            if now - last_seen > limits["IDLE_SECONDS"] or now - started > limits["MAX_SECONDS"]:
                logout(request)
                messages.info(request, "You were signed out to keep staff pages safe.")
                return redirect_to_login(request.get_full_path())
            session[SESSION_LAST_SEEN_KEY] = now
            session.set_expiry(limits["IDLE_SECONDS"])
        return self.get_response(request)


class StaffMFAMiddleware:
    """A staff, researcher or administrator session opens no page until it has passed its
    second factor (authenticator code, passkey or recovery code) in this very session.

    Without an authenticator, the person is sent to set one up; with one, to allauth's
    code step, which then opens the page asked for. Until then only those steps, signing
    out and static files answer: not the admin, not the MFA settings. Students and hosts
    sign in with emailed codes and are not affected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.MICROINTERN_STAFF_REQUIRE_MFA
            and user.is_authenticated
            and user.needs_mfa
            and not request.path.startswith(settings.STATIC_URL)
            and not _passed_second_factor(request, user)
        ):
            if _has_authenticator(user):
                if request.path not in _paths(
                    "mfa_reauthenticate", "mfa_reauthenticate_webauthn", "account_logout"
                ):
                    return redirect(_with_next(reverse("mfa_reauthenticate"), request))
            elif request.path not in _paths(
                "mfa_activate_totp", "account_reauthenticate", "account_logout"
            ):
                return redirect("mfa_activate_totp")
        return self.get_response(request)


def _passed_second_factor(request, user) -> bool:
    return any(
        record.get("method") == "mfa" for record in get_authentication_records(request, user)
    )


def _has_authenticator(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def _paths(*url_names: str) -> set[str]:
    return {reverse(name) for name in url_names}


def _with_next(url: str, request) -> str:
    return f"{url}?{urlencode({'next': request.get_full_path()}, safe='/')}"


REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Every request gets an id: the one our own proxy sent in X-Request-ID (when there is
    a trusted proxy and the value looks like an id), else a new one. Log lines of the
    request carry it (`core.logging.WithRequestId`) and the response says it, so a
    complaint ("it failed at 10:02") can be traced to its log lines."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        trusted = settings.MICROINTERN_TRUSTED_PROXY_COUNT > 0 and REQUEST_ID.match(given)
        value = given if trusted else uuid.uuid4().hex
        # Kept until the response is finished (`core.logging.forget_request_id`): Django
        # logs a 4xx or 5xx after the middleware has returned.
        request_id.set(value)
        response = self.get_response(request)
        response["X-Request-ID"] = value
        return response
