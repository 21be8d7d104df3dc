import logging
import smtplib

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.shortcuts import render

from microintern.accounts.ratelimits import (
    FIRST_FACTOR,
    begin_attempt,
    client_address,
    remember_address,
)

logger = logging.getLogger(__name__)

RETRY_MAIL_AFTER_SECONDS = 60


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by the Business Clinic's processes, never by open sign-up; the
    sign-in emails speak in the site's name."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Send a sign-in email (a code, a password link) with the site's name in it.

        An SMTP server that refuses, fails or does not answer within EMAIL_TIMEOUT ends the
        request with a page asking the person to try again in a minute (503, Retry-After),
        instead of an error; the sign-in is not started, so nothing is left half-done."""
        site_name = settings.MICROINTERN["SITE_NAME"]
        minutes = account_settings.LOGIN_BY_CODE_TIMEOUT // 60
        try:
            super().send_mail(
                template_prefix, email, {"site_name": site_name, "code_minutes": minutes, **context}
            )
        except (smtplib.SMTPException, OSError) as error:
            logger.warning("Sign-in email %s not sent: %s", template_prefix, type(error).__name__)
            raise ImmediateHttpResponse(mail_not_sent_page(template_prefix)) from error

    def get_client_ip(self, request) -> str:
        """The address allauth's rate limits count: the client's, behind our proxies."""
        return client_address(request)

    def pre_authenticate(self, request, **credentials) -> None:
        """Before a password is checked: wait if there were too many wrong ones (for this
        account from this address, from this address, or for this account from an address
        it never signed in from); never a lock-out."""
        super().pre_authenticate(request, **credentials)
        self._password_attempt = begin_attempt(
            FIRST_FACTOR, credentials.get("email", ""), client_address(request)
        )

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user:
            self._password_attempt.succeeded()
        return user

    def login(self, request, user) -> None:
        """Sign in, and remember the address: the account-wide delay spares it from now on."""
        super().login(request, user)
        remember_address(user.email, client_address(request))

    def format_email_subject(self, subject: str) -> str:
        """Our subjects name the site in words; any other gets the name added (never the
        host name in brackets)."""
        site_name = settings.MICROINTERN["SITE_NAME"]
        return subject if site_name in subject else f"{subject} – {site_name}"


def mail_not_sent_page(template_prefix: str):
    what = "the code" if template_prefix.endswith("login_code") else "the email"
    response = render(
        allauth_context.request, "accounts/mail_not_sent.html", {"what": what}, status=503
    )
    response["Retry-After"] = str(RETRY_MAIL_AFTER_SECONDS)
    return response
