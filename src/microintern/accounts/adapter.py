from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by the Business Clinic's processes, never by open sign-up; the
    sign-in emails speak in the site's name."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Send a sign-in email (a code, a password link) with the site's name in it."""
        site_name = settings.MICROINTERN["SITE_NAME"]
        minutes = account_settings.LOGIN_BY_CODE_TIMEOUT // 60
        super().send_mail(
            template_prefix, email, {"site_name": site_name, "code_minutes": minutes, **context}
        )

    def format_email_subject(self, subject: str) -> str:
        """Our subjects name the site in words; any other gets the name added (never the
        host name in brackets)."""
        site_name = settings.MICROINTERN["SITE_NAME"]
        return subject if site_name in subject else f"{subject} – {site_name}"
