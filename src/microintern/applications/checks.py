"""Deployment checks for the student journey (`python -m microintern check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning, register

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@register("microintern", deploy=True)
def links_in_emails_point_at_this_site(app_configs, **kwargs):
    """Students confirm their address and reply to offers from links in emails: in production
    those links must use the site's public address."""
    base_url = settings.MICROINTERN.get("BASE_URL", DEFAULT_BASE_URL)
    if base_url.startswith(("http://127.0.0.1", "http://localhost")):
        return [
            Warning(
                f"Links in students' emails would point at {base_url}.",
                hint="Set MICROINTERN_BASE_URL to the site's public https:// address.",
                id="microintern.W301",
            )
        ]
    return []
