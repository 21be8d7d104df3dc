"""Real Chromium (Debian's) driven by Playwright, against pytest-django's live server.

Without Chromium the browser tests skip with a reason under `make test`; with CI=true a
missing Chromium is a failure (.ci/run installs it).
"""

import os
import shutil
from pathlib import Path

import pytest

from tests import smtp_sink as sink
from tests.accounts.factories import record_second_factor

SCREENSHOTS = os.environ.get("MICROINTERN_SCREENSHOTS")  # a folder: save pages for the docs
smtp_sink = sink.smtp_sink  # the fixture, for `site`
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def site(live_server, settings, smtp_sink):
    """The live server's address, which links in emails (caught by `smtp_sink`) point to."""
    settings.MICROINTERN = {**settings.MICROINTERN, "BASE_URL": live_server.url}
    return live_server.url


@pytest.fixture
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


AXE_WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}


def assert_no_axe_violations(axe, page):
    """Run axe-core (WCAG 2.x A/AA rules) on the page and fail with the violations listed."""
    results = axe.run(page, options=AXE_WCAG_AA)
    violations = results.response["violations"]
    assert not violations, "\n".join(
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {[n['target'] for n in v['nodes']][:3]})"
        for v in violations
    )


def sign_in(page, base_url: str, user):
    """Give the browser a signed-in session for `user` (as if they had signed in, staff-side
    users with their authenticator code)."""
    from django.conf import settings as django_settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = django_settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.needs_mfa and user.authenticator_set.exists():
        record_second_factor(session, user)
    session.save()
    page.context.add_cookies([{"name": "sessionid", "value": session.session_key, "url": base_url}])


def save_screenshot(page, name: str, *, full_page: bool = True) -> None:
    """Save the page as `<name>.png` for the docs, only when MICROINTERN_SCREENSHOTS names a
    folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=full_page)
