"""Helpers for the student browser tests: a realistic open micro-internship, the interest
form, links from emails caught by the SMTP sink, page weight, and width at 320 px."""

import re
import time
from datetime import timedelta
from urllib.parse import urlparse

from django.utils import timezone

from tests.browser.conftest import assert_no_axe_violations, sign_in  # noqa: F401 (re-exported)
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory

LINK = re.compile(r"https?://\S+")
PAGE_BUDGET = 100_000  # bytes of HTML + CSS + JavaScript per student page


def open_micro_internship(**overrides):
    day = timezone.localtime(timezone.now() + timedelta(days=30))
    starts_at = day.replace(hour=9, minute=30, second=0, microsecond=0)
    challenge = ChallengeFactory(
        contact__organisation__name="Bean There Café",
        contact__organisation__sector="Hospitality",
        title="Where should our café open next?",
        question="Which of three neighbourhoods should our second café open in, and why?",
        subject_area="Marketing",
    )
    return MicroInternshipFactory(
        open_now=True,
        challenge=challenge,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=7),
        venue_address="Bean There Café\n12 Market Street\nMidtown MT1 2AB",
        travel_notes="Bus 7 stops outside. Ten minutes' walk from the station.",
        accessibility_notes="Step-free entrance and an accessible toilet on the ground floor.",
        what_to_bring="A laptop if you have one (we can lend one).",
        **overrides,
    )


def express_interest(
    page, form_url: str, *, name, email, student_number, statement, access_needs=""
) -> None:
    """Fill in and send the public "Say you're interested" form as a student would, with
    what they need arranged (`access_needs`) if they write anything there."""
    page.goto(form_url)
    page.get_by_label("Your full name").fill(name)
    page.get_by_label("Your university email address").fill(email)
    page.get_by_label("Your student number").fill(student_number)
    page.get_by_label("Why are you interested?").fill(statement)
    if access_needs:
        page.get_by_label("Anything we should arrange so you can take part?").fill(access_needs)
    page.get_by_label("I can come on the day").check()
    page.get_by_role("button", name="Send").click()


def link_in(received, path_part: str) -> str:
    for url in LINK.findall(received.body):
        if path_part in url:
            return url
    raise AssertionError(f"no link with {path_part!r} in:\n{received.body}")


def last_to(sink, address: str, count: int = 1):
    """The newest email to `address`, waiting until at least `count` have arrived."""
    deadline = time.monotonic() + 30
    while len(sink.to(address)) < count:
        assert time.monotonic() < deadline, f"only {len(sink.to(address))} emails to {address}"
        time.sleep(0.05)
    return sink.to(address)[-1]


def check_page(page, axe, *, width_ok: bool = True):
    """axe finds nothing; no staff jargon; at 320 px nothing scrolls sideways."""
    assert_no_axe_violations(axe, page)
    text = page.inner_text("body")
    assert not re.search(r"\bEOIs?\b|expression of interest", text, re.I), page.url
    if width_ok:
        size = page.viewport_size
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url
        page.set_viewport_size(size)


def page_weight(page, url: str) -> tuple[int, list[str]]:
    """Bytes of the page and its same-origin CSS and JavaScript, and any other-origin URLs."""
    origin = urlparse(url).netloc
    weights, foreign = {}, []

    def on_response(response):
        kind = response.request.resource_type
        if urlparse(response.url).netloc != origin:
            foreign.append(response.url)
        elif kind in ("document", "stylesheet", "script"):
            weights[response.url] = len(response.body())

    page.on("response", on_response)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", on_response)
    return sum(weights.values()), foreign
