from datetime import timedelta

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import record_authentication
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils import timezone

from microintern.accounts.ratelimits import (
    FIRST_FACTOR,
    begin_attempt,
    client_address,
    remember_address,
)
from microintern.accounts.sso_adapter import providers_signed_in_through, sign_on_assertion
from microintern.mail.outbox import queue_sealed_email

LOGIN_CODE = "account/email/login_code"
SIGNED_OUT = "account/messages/logged_out.txt"


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

    def add_message(self, request, level, message_template=None, message_context=None, **kwargs):
        """allauth's messages; the one after signing out also names the identity providers
        the browser is still signed in to, since signing out here does not end their
        sessions."""
        if message_template == SIGNED_OUT:
            message_context = {
                **(message_context or {}),
                "still_signed_in_at": providers_signed_in_through(request),
            }
        super().add_message(request, level, message_template, message_context, **kwargs)

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
        """Sign in, and remember the address: the account-wide delay spares it from now on.

        After a provider's sign-in whose policy accepts its second factor, the session
        records that factor (as allauth records its own), so staff pages open."""
        super().login(request, user)
        remember_address(user.email, client_address(request))
        assertion = sign_on_assertion(request, user)
        if assertion is not None and assertion.mfa_asserted:
            record_authentication(
                request,
                user,
                method="mfa",
                type="identity_provider",
                provider=assertion.provider_id,
                methods=list(assertion.methods),
            )

    def format_email_subject(self, subject: str) -> str:
        """Our subjects name the site in words; any other gets the name added (never the
        host name in brackets)."""
        site_name = settings.MICROINTERN["SITE_NAME"]
        return subject if site_name in subject else f"{subject} – {site_name}"
