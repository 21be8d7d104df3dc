"""Real Chromium (Debian's) driven by Playwright, against pytest-django's live server.

Without Chromium the browser tests skip with a reason under `make test`; with CI=true a
missing Chromium is a failure (.ci/run installs it).
"""

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import smtp_sink as sink
from tests.accounts.factories import record_second_factor
from tests.browser.staff_pages import authenticator_code, password_step

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


def sign_in_through_pages(page, base_url: str, user, sink) -> None:
    """Sign `user` in the way they do themselves, on the real pages: staff-side users with
    their password and their authenticator's code, students and hosts with the code emailed
    to them (read from the SMTP sink `sink`)."""
    if user.needs_mfa:
        password_step(page, base_url, user)
        page.get_by_label("Code from your authenticator app").fill(authenticator_code())
    else:
        page.goto(f"{base_url}/accounts/login/")
        before = len(sink.to(user.email))
        page.get_by_label("Your email address").fill(user.email)
        page.get_by_role("button", name="Email me a sign-in code").click()
        deadline = time.monotonic() + 30
        while len(sink.to(user.email)) <= before:
            assert time.monotonic() < deadline, f"no sign-in code reached {user.email}"
            time.sleep(0.05)
        body = sink.to(user.email)[-1].body
        code = re.search(r"is:\s*\n\s*(\S+)", body).group(1)
        page.get_by_label("Sign-in code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)


def sign_in_at_the_university(page, base_url: str, provider_name: str, username: str, people):
    """Press "Sign in with <provider_name>" on the site's sign-in page and sign in as
    `username` (password from `people`) on the test provider's own page (OpenID Connect and
    SAML alike), which sends the browser back to the site."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {provider_name}").click()
    expect(page.get_by_role("heading", name="Test university sign-in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(people[username]["password"])
    page.get_by_role("button", name="Sign in to the university").click()


def expect_the_sign_on_refusal(page, axe, reason: str) -> None:
    """The browser ended on the site's accessible page saying it signed no one in, and why."""
    expect(page.get_by_role("heading", name="You are not signed in")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(reason)
    assert_no_axe_violations(axe, page)


def save_screenshot(page, name: str, *, full_page: bool = True) -> None:
    """Save the page as `<name>.png` for the docs, only when MICROINTERN_SCREENSHOTS names a
    folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=full_page)
