import logging
import smtplib

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.shortcuts import render

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
