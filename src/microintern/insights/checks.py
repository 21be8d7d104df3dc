"""Deployment checks on the student-record feed (``MICROINTERN_STUDENT_FEED``): `check
--deploy` refuses an address the feed would refuse, so it is found before the first run.
Light on purpose (no HTTP client): it is imported when the app starts."""

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


def url_refusal(url: str) -> str:
    """Why the feed will not download from `url` ("" when it will): only https://, or
    http:// outside production or when ``ALLOW_HTTP`` says so explicitly."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "https":
        return ""
    if scheme == "http":
        if settings.PRODUCTION and not settings.MICROINTERN_STUDENT_FEED["ALLOW_HTTP"]:
            return (
                "The feed address uses plain http://, which production refuses (the file "
                "holds personal data and the token would travel in clear): use https://, "
                "or set STUDENT_FEED_ALLOW_HTTP=1 for an address on a private network."
            )
        return ""
    return f"The feed address must start with https:// (it starts with “{scheme}:”)."


@register(Tags.security, deploy=True)
def student_feed_is_usable(app_configs, **kwargs) -> list:
    """The feed's address is one it will download from, and its drop directory exists."""
    feed = settings.MICROINTERN_STUDENT_FEED
    problems = []
    refusal = url_refusal(feed["URL"]) if feed["URL"] else ""
    if refusal:
        problems.append(Error(refusal, id="insights.E001"))
    if feed["DROP_DIR"] and not Path(feed["DROP_DIR"]).is_dir():
        problems.append(
            Warning(
                f"STUDENT_FEED_DROP_DIR {feed['DROP_DIR']} is not a directory: the feed "
                "reads nothing from it, and its periodic job fails, until it is.",
                id="insights.W001",
            )
        )
    return problems
