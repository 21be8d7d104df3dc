"""The accessibility crawl: for each role, sign in through the real sign-in pages (password
and authenticator code for staff, an emailed code for students and hosts), start at the
role's home page and follow the
same-origin links (GET only, one page per URL pattern, at most MAX_PAGES), and on every page
axe-core finds no WCAG 2.2 A/AA violation at 1280 px and at 320 px, and at 320 px nothing
scrolls sideways (WCAG 1.4.10 Reflow).

Violations that are known and not fixed yet are listed in KNOWN with the reason; the test
fails if one of them no longer happens, so the list only shrinks.
"""

import re
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.hosts.enums import ChallengeState
from microintern.hosts.models import HostContact
from tests import smtp_sink as sink
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.conftest import AXE_WCAG_AA, sign_in_through_pages
from tests.browser.student_pages import open_micro_internship
from tests.hosts.factories import ChallengeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
smtp_sink = sink.smtp_sink  # the fixture: students and hosts sign in with an emailed code

MAX_PAGES = 150
WIDTHS = ((1280, 800), (320, 640))
SKIPPED_PATH = re.compile(
    r"^/(admin|accounts/logout|accounts/passkey|api)/|/(logout|download|export)\b"
    r"|\.(csv|xlsx|pdf|ics|zip|eml|jwt|json|txt|xml)$|^/badges/(keys|status|issuer)"
)
ID_SEGMENT = re.compile(r"^(\d+|MI-\d{4}-\d+|[A-Za-z0-9_:.-]{20,})$")

# The innermost elements that stick out past the right edge (not inside a scroll container),
# as tag.class, at most three.
WIDEST_ELEMENTS = """() => {
  const out = e => e.getBoundingClientRect().right > innerWidth + 1;
  const clipped = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
      if (getComputedStyle(a).overflowX !== "visible") return true;
    return false;
  };
  return [...document.querySelectorAll("body *")]
    .filter(e => out(e) && !clipped(e) && ![...e.children].some(c => out(c) && !clipped(c)))
    .slice(0, 3)
    .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")
      + " " + (e.textContent || "").trim().slice(0, 30));
}"""

# (URL pattern, axe rule id or "reflow") -> why it still fails. Remove an entry once fixed.
KNOWN: dict[tuple[str, str], str] = {}


def url_pattern(url: str) -> str:
    """The path with ids, references and tokens replaced, plus the query's keys: one page of
    each kind is enough."""
    parts = urlparse(url)
    path = "/".join(
        "<id>" if ID_SEGMENT.match(segment) else segment for segment in parts.path.split("/")
    )
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return path + ("?" + "&".join(keys) if keys else "")


def same_origin_links(page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        url = urldefrag(urljoin(page.url, href))[0]
        if url.startswith(base_url) and not SKIPPED_PATH.search(urlparse(url).path):
            found.append(url)
    return found


def problems_on(page, axe) -> list[tuple[str, str, str]]:
    """(width, rule, targets) for each axe violation and for sideways scrolling at 320 px."""
    problems = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        violations = axe.run(page, options=AXE_WCAG_AA).response["violations"]
        for violation in violations:
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append((f"{width}px", violation["id"], str(targets)))
        if width == 320:
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > 320:
                wide = page.evaluate(WIDEST_ELEMENTS)
                problems.append(("320px", "reflow", f"scrollWidth {scroll_width}: {wide}"))
    return problems


def crawl(page, axe, base_url: str, start: str) -> tuple[list[str], list[tuple]]:
    """Visit pages breadth-first from `start`; the patterns visited and the problems found."""
    queue, seen, visited, problems = [base_url + start], set(), [], []
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        pattern = url_pattern(url)
        if pattern in seen:
            continue
        seen.add(pattern)
        response = page.goto(url)
        if response is None or response.status >= 400 or not page.url.startswith(base_url):
            continue
        landed = url_pattern(page.url)  # after redirects
        if landed != pattern and landed in seen:
            continue
        seen.add(landed)
        visited.append(landed)
        problems += [(landed, *problem) for problem in problems_on(page, axe)]
        queue += [
            link for link in same_origin_links(page, base_url) if url_pattern(link) not in seen
        ]
    return visited, problems


def seed(make_user):
    """A micro-internship with a team (who asked for adjustments) and places in several
    states, an accepted challenge waiting to be scheduled, and a host contact and a student
    who take part."""
    mi = open_micro_internship(capacity=4)
    student = StudentFactory(with_user=True)
    mine = ExpressionOfInterestFactory(micro_internship=mi, student=student)
    transition_place(mine, PlaceState.OFFERED)
    for state in (PlaceState.OFFERED, PlaceState.ACCEPTED):
        other = ExpressionOfInterestFactory(  # the register flags what they asked for
            micro_internship=mi, access_needs="A step-free way in, please."
        )
        transition_place(other, PlaceState.OFFERED)
        if state == PlaceState.ACCEPTED:
            transition_place(other, PlaceState.ACCEPTED)
    ExpressionOfInterestFactory(micro_internship=mi)
    ChallengeFactory(state=ChallengeState.ACCEPTED)
    host = make_user("host")
    HostContact.objects.filter(pk=mi.challenge.contact.pk).update(user=host)
    return {"student": student.user, "host": host}


@pytest.mark.parametrize(
    "role", ["anonymous", "student", "host", "staff", "researcher", "administrator"]
)
def test_every_page_is_accessible_at_both_widths(
    role, live_server, page, axe, make_user, smtp_sink
):
    people = seed(make_user)
    if role != "anonymous":
        user = people.get(role) or make_user(role)
        sign_in_through_pages(page, live_server.url, user, smtp_sink)
    start = "/" if role == "anonymous" else "/home/"
    visited, problems = crawl(page, axe, live_server.url, start)
    assert len(visited) > 1, f"the crawl found no links from {start}: {visited}"
    assert len(visited) < MAX_PAGES, f"the crawl stopped at {MAX_PAGES} pages: raise MAX_PAGES"

    known_here = {key for key in KNOWN if key[0] in visited}
    failing = {(pattern, rule) for pattern, _width, rule, _targets in problems}
    unexpected = [p for p in problems if (p[0], p[2]) not in KNOWN]
    fixed = sorted(known_here - failing)
    report = "\n".join(
        f"{pattern} at {width}: {rule} {targets}" for pattern, width, rule, targets in unexpected
    )
    assert not unexpected, f"{len(unexpected)} problems on {len(visited)} pages:\n{report}"
    assert not fixed, f"fixed now, remove from KNOWN: {fixed}"
    print(f"{role}: {len(visited)} pages crawled")
