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


@register("microintern", deploy=True)
def badges_can_be_signed(app_configs, **kwargs):
    """Attended students download their certificate as an Open Badge, signed with the key
    MICROINTERN_BADGE_KEY_FILE names; every retired key named must be readable too."""
    missing = [
        path
        for path in [
            settings.MICROINTERN_BADGE_KEY_FILE,
            *settings.MICROINTERN_BADGE_RETIRED_KEY_FILES,
        ]
        if not path.is_file()
    ]
    return [
        Warning(
            f"The Open Badges key file {path} does not exist: "
            + (
                "students cannot download their badge."
                if path == settings.MICROINTERN_BADGE_KEY_FILE
                else "badges signed with that retired key no longer verify."
            ),
            hint="Set MICROINTERN_BADGE_KEY_FILE (and MICROINTERN_BADGE_RETIRED_KEY_FILES) to "
            "readable PEM files; in development run `python -m microintern init_keys`.",
            id="microintern.W302",
        )
        for path in missing
    ]
