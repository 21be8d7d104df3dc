from datetime import timedelta

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils import timezone

from microintern.mail.outbox import queue_sealed_email

LOGIN_CODE = "account/email/login_code"


def sign_in_mail_validity(template_prefix: str) -> timedelta:
    """How long the code or link in a sign-in email works: a sign-in code for
    ACCOUNT_LOGIN_BY_CODE_TIMEOUT, a password link (and any other account email) for
    PASSWORD_RESET_TIMEOUT."""
    if template_prefix == LOGIN_CODE:
        return timedelta(seconds=account_settings.LOGIN_BY_CODE_TIMEOUT)
    return timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by the Business Clinic's processes, never by open sign-up; the
    sign-in emails speak in the site's name and go through the outbox."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Queue a sign-in email (a code, a password link) with the site's name in it.

        The request never talks to the mail server: the email goes through the outbox, with
        its retries, its body sealed so that no one reading the outbox can sign in with it,
        and not sent at all once its code or link has stopped working."""
        valid_for = sign_in_mail_validity(template_prefix)
        valid_until = timezone.now() + valid_for
        request = allauth_context.request
        rendered = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                "site_name": settings.MICROINTERN["SITE_NAME"],
                "code_minutes": int(valid_for.total_seconds()) // 60,
                "valid_until": valid_until,
                **context,
            },
        )
        queue_sealed_email(
            template_prefix.rsplit("/", 1)[-1],
            to=email,
            subject=rendered.subject,
            body=rendered.body,
            valid_until=valid_until,
        )

    def format_email_subject(self, subject: str) -> str:
        """Our subjects name the site in words; any other gets the name added (never the
        host name in brackets)."""
        site_name = settings.MICROINTERN["SITE_NAME"]
        return subject if site_name in subject else f"{subject} – {site_name}"
