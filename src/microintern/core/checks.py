"""System checks on the settings: run by `check`, `migrate`, `runserver` and the workers."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

INIT_KEYS = "python -m microintern init_keys"


@register(Tags.security)
def keys_are_made(app_configs, **kwargs) -> list:
    """Outside production, say when the fixed development keys are in use and how to make
    this checkout's own."""
    fixed = [
        name
        for name, value, development in (
            ("SECRET_KEY", settings.SECRET_KEY, settings.DEVELOPMENT_SECRET_KEY),
            (
                "MICROINTERN_RESEARCH_KEY",
                settings.MICROINTERN_RESEARCH_KEY,
                settings.DEVELOPMENT_RESEARCH_KEY,
            ),
        )
        if value == development
    ]
    if not fixed:
        return []
    return [
        Warning(
            f"{' and '.join(fixed)} not set and not in {settings.VAR_DIR}: using the fixed "
            "development key, which is public.",
            hint=f"Run `{INIT_KEYS}` to make keys of your own there.",
            id="microintern.W001",
        )
    ]
