"""Helpers for the staff browser tests: signing in through the real pages (password, then
the code of the test authenticator at the current, possibly moved, time)."""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from tests.accounts.factories import TOTP_SECRET

PASSWORD = "correct horse battery"  # noqa: S105 - the factories' test password


def authenticator_code() -> str:
    """The 6-digit code the test authenticator app shows now (on the clock as moved)."""
    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // mfa_settings.TOTP_PERIOD))


def password_step(page, base_url: str, user) -> None:
    """The staff sign-in page with `user`'s password, up to the second step."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_role("link", name="Staff: sign in with password").click()
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your second step").wait_for()


def sign_in_with_password_and_code(page, base_url: str, user) -> None:
    """Sign `user` in as staff do: password, then the authenticator app's code."""
    page.context.clear_cookies()
    password_step(page, base_url, user)
    page.get_by_label("Code from your authenticator app").fill(authenticator_code())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/staff/**")
