"""Deployment checks on sign-in: `check --deploy` refuses a site whose staff could skip the
second factor, or whose passkeys would be accepted from an insecure origin."""

from django.conf import settings
from django.core.checks import Error, Tags, register

STAFF_MIDDLEWARE = "microintern.core.middleware.StaffMFAMiddleware"


@register(Tags.security, deploy=True)
def staff_second_factor_is_required(app_configs, **kwargs) -> list:
    """Staff, researcher and administrator sessions must pass a second factor: refuse a
    deployment with MICROINTERN_STAFF_REQUIRE_MFA off, the middleware missing, or no
    authenticator type to pass it with."""
    errors = []
    if not settings.MICROINTERN_STAFF_REQUIRE_MFA:
        errors.append(
            Error(
                "Staff MFA is switched off (MICROINTERN_STAFF_REQUIRE_MFA=0): staff pages, the "
                "admin and research exports would open with a password alone.",
                hint="Unset MICROINTERN_STAFF_REQUIRE_MFA (it defaults to 1) before deploying.",
                id="accounts.E001",
            )
        )
    if STAFF_MIDDLEWARE not in settings.MIDDLEWARE:
        errors.append(
            Error(
                f"{STAFF_MIDDLEWARE} is not in MIDDLEWARE: no page checks the second factor.",
                hint="Keep MIDDLEWARE as the settings make it.",
                id="accounts.E002",
            )
        )
    if not {"totp", "webauthn"} & set(settings.MFA_SUPPORTED_TYPES):
        errors.append(
            Error(
                "MFA_SUPPORTED_TYPES offers no second factor (neither totp nor webauthn).",
                id="accounts.E003",
            )
        )
    if getattr(settings, "MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", False):
        errors.append(
            Error(
                "MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN is on: passkeys would be accepted over "
                "plain HTTP. It exists for tests on http://127.0.0.1 only.",
                hint="Leave it off in every deployment.",
                id="accounts.E004",
            )
        )
    return errors
