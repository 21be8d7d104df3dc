"""A whole term as Business Clinic staff see it, through the real pages only, with the
clock moved through the cycle (a spring term in 2027; the clocks go forward on 28 March,
between selection and the day):

a host offers a challenge → staff accept it → schedule the day → set up the selection
round → open interest → three students say they're interested and confirm, two of them
writing what they need arranged, which staff read → staff search → close interest →
seal, dry run, publish with its emails held for a check, then released → offers emailed,
two accepted → the team list and the register with the adjustments (the host sees first
names only) → an email to the team, held and released
→ on the day the register (printed without the menu; present, absent) → completed →
thank-you with the certificate → the dashboard counts the term → the impact page → the
day run again next term as a draft copy.

A second test makes a decision for several students by mistake and holds back and
discards its emails before any is sent.

Staff sign in at each step with their password and authenticator code (the clock moved on
past their session). Every staff page is checked with axe; every email is caught by a real
SMTP server. MICROINTERN_SCREENSHOTS=docs/screenshots saves the pictures in docs/staff.md.
"""

import csv
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from microintern.applications.enums import PlaceState
from microintern.insights.models import PopulationRecord
from microintern.programme.enums import MicroInternshipState
from tests import smtp_sink as sink
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.conftest import (
    assert_no_axe_violations,
    save_screenshot,
    sign_in_through_pages,
)
from tests.browser.staff_pages import sign_in_with_password_and_code
from tests.browser.student_pages import check_page, express_interest, last_to, link_in
from tests.programme.factories import MicroInternshipFactory

smtp_sink = sink.smtp_sink  # the fixture
pytestmark = pytest.mark.django_db(transaction=True)

LONDON = ZoneInfo("Europe/London")
HOST = "sam@riverside.example"
STUDENTS = [
    ("Amara Okafor", "amara.okafor@example.ac.uk", "S2027001"),
    ("Kofi Mensah", "kofi.mensah@example.ac.uk", "S2027002"),
    ("Lena Fischer", "lena.fischer@example.ac.uk", "S2027003"),
]
# What two of them write under "Anything we should arrange so you can take part?"
ACCESS_NEEDS = {
    "amara.okafor@example.ac.uk": "I use a wheelchair, so a step-free way in, please.",
    "lena.fischer@example.ac.uk": "A quiet room for the breaks: I have a hearing aid.",
}


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def shot(page, name: str, top=None) -> None:
    """Save what the screen shows for the docs, with `top` (a locator) at the top of it."""
    page.evaluate("document.activeElement.blur()")
    if top is None:
        page.evaluate("window.scrollTo(0, 0)")
    else:
        top.evaluate("element => element.scrollIntoView({block: 'start'})")
    save_screenshot(page, f"staff-term-{name}", full_page=False)


def the_year_so_far() -> None:
    """What the term starts from: the year's student record (imported in September, our
    three students among them) and the autumn term's two days, four attended at each."""
    year = [
        StudentFactory(full_name=name, email=email, student_number=number)
        for name, email, number in STUDENTS
    ] + StudentFactory.create_batch(27)
    for student in year:
        PopulationRecord.objects.create(
            student=student, academic_year="2026/27", school="Business School"
        )
    for day, team in (
        (london(2026, 11, 4, 9, 30), year[3:7]),
        (london(2026, 11, 25, 9, 30), year[7:11]),
    ):
        autumn = MicroInternshipFactory(starts_at=day, state=MicroInternshipState.COMPLETED)
        for student in team:
            ExpressionOfInterestFactory(
                student=student,
                micro_internship=autumn,
                state=PlaceState.ATTENDED,
                verified_at=day - timedelta(days=20),
            )


def offer_a_challenge(page, site, smtp_sink) -> None:
    """A new host offers a challenge through the public form; they are emailed that we have it."""
    page.goto(site + "/host/offer/")
    page.get_by_label("Organisation name").fill("Riverside Food Bank")
    page.get_by_label("Kind of organisation").select_option("charity")
    page.get_by_label("Sector").fill("Community")
    page.get_by_label("Size").select_option("micro")
    page.get_by_label("Your name").fill("Sam Okafor")
    page.get_by_label("Your email address").fill(HOST)
    page.get_by_label("A short title for the challenge").fill("Reaching more volunteers")
    page.get_by_label("About your organisation and the situation").fill(
        "A small food bank run by volunteers, most of them retired."
    )
    page.get_by_label("The question you would like the team to answer").fill(
        "How could we recruit students and young workers as volunteers?"
    )
    page.get_by_label("What a useful outcome would look like").fill("Three options we can try.")
    page.get_by_label("Address where the team would work").fill("12 Mill Lane\nMidtown MT4 1AA")
    page.get_by_label("Is there step-free access?").select_option("yes")
    shot(page, "1-offer")
    page.get_by_role("button", name="Send my challenge").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("we have your challenge")
    assert last_to(smtp_sink, HOST).subject == "We have your challenge: Reaching more volunteers"


def interest_now(staff, reference: str, opened_or_closed: str, state_shown: str) -> None:
    """Press "Open interest now" or "Close interest now" and see the new state."""
    verb = "Open" if opened_or_closed == "open" else "Close"
    staff.get_by_role("button", name=f"{verb} interest now").click()
    expect(staff.get_by_text(f"Interest in {reference} is {opened_or_closed} now.")).to_be_visible()
    expect(staff.locator("p.meta").first).to_contain_text(state_shown)


def fact(page, term: str):
    """The value shown against `term` in a staff page's list of facts."""
    term_shown = page.locator("dl.facts dt").get_by_text(term, exact=True)
    return term_shown.locator("xpath=following-sibling::dd[1]")


def search_for(staff, words: str):
    """Search from the menu, as staff do; the page's results."""
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    staff.get_by_label("Student, host or micro-internship").fill(words)
    staff.get_by_role("button", name="Search", exact=True).click()
    return staff.get_by_role("main")


def found_under(results, heading: str):
    """The list of results under the heading that starts with `heading`."""
    title = results.get_by_role("heading", name=re.compile(f"^{re.escape(heading)} \\("))
    return title.locator("xpath=following-sibling::*[1]")


def run_the_worker() -> None:
    """The task worker takes what is queued, as it would in production."""
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def outbox_shows_and_the_worker_sends_none(staff, smtp_sink, emails, state: str) -> None:
    """The outbox (from the menu) lists the email to each of `emails` as `state`; the
    worker then runs and none of them reaches the mail server."""
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Outbox").click()
    for email in emails:
        expect(staff.get_by_role("row").filter(has_text=email)).to_contain_text(state)
    run_the_worker()
    assert not [m for m in smtp_sink.received if set(m.rcpt_tos) & set(emails)]


def action_emails(staff):
    """The card saying where the emails of the last action stand."""
    return staff.get_by_role("region", name="The emails of this action")


@pytest.fixture
def staff(chromium):
    """The staff member's own browser, on a desktop screen 1280 px wide."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id="Europe/London"
    )
    yield context.new_page()
    context.close()


def test_a_whole_term_as_staff(site, staff, page, make_user, axe, smtp_sink, settings):
    staff_user = make_user("staff", full_name="Priya Shah")
    public = page  # hosts and students, each with their cookies cleared first
    # The questionnaires every site has (a data migration; an earlier test's flush of the
    # database may have removed them).
    call_command("seed_instruments")

    with time_machine.travel(london(2027, 1, 11, 10, 0), tick=True) as clock:

        def come_back(when: datetime, url: str) -> None:
            """The clock moves on past the staff session: sign in again, open `url`."""
            clock.move_to(when)
            sign_in_with_password_and_code(staff, site, staff_user)
            staff.goto(url)

        the_year_so_far()
        # January: a host offers a challenge through the public form.
        offer_a_challenge(public, site, smtp_sink)

        # Staff sign in; two days this year are too few for the dashboard's figures.
        sign_in_with_password_and_code(staff, site, staff_user)
        staff.get_by_role("link", name="Insights").first.click()
        expect(
            staff.get_by_text("These filters leave fewer than 3 micro-internships")
        ).to_be_visible()

        # Staff find the challenge in the pipeline as Proposed and accept it.
        staff.get_by_role("link", name="Challenges").first.click()
        proposed = staff.get_by_role("region", name=re.compile("^Proposed"))
        expect(proposed.get_by_role("link", name="Reaching more volunteers")).to_be_visible()
        assert_no_axe_violations(axe, staff)
        staff.get_by_role("link", name="Reaching more volunteers").click()
        expect(staff.get_by_text("How could we recruit students")).to_be_visible()
        staff.get_by_label("Decision", exact=True).select_option(label="Accepted")
        shot(staff, "1-challenge")
        staff.get_by_role("button", name="Save decision").click()
        expect(staff.get_by_text("“Reaching more volunteers” is now Accepted.")).to_be_visible()
        assert_no_axe_violations(axe, staff)
        go_ahead = last_to(smtp_sink, HOST, 2)
        assert go_ahead.subject == 'Good news: "Reaching more volunteers" can go ahead'

        # Schedule the day: Wednesday 7 April, after the clocks go forward.
        staff.get_by_role("link", name="Schedule a micro-internship").click()
        expect(staff.get_by_label("Venue address")).to_have_value(re.compile("12 Mill Lane"))
        staff.get_by_label("Subject area").fill("Marketing")
        staff.get_by_label("Day").fill("2027-04-07")
        staff.get_by_label("Start time").fill("09:30")
        staff.get_by_label("End time").fill("16:30")
        staff.get_by_label("Capacity").fill("2")
        staff.get_by_label("Interest opens at").fill("2027-03-01T09:00")
        staff.get_by_label("Interest closes at").fill("2027-03-19T17:00")
        staff.get_by_label("Facilitator").select_option(label="Priya Shah")
        assert_no_axe_violations(axe, staff)
        shot(staff, "2-schedule")
        staff.get_by_role("button", name="Schedule and email the host").click()
        expect(staff.get_by_text("is scheduled; the host has been emailed.")).to_be_visible()
        reference = staff.get_by_role("heading", level=1).inner_text().split(":")[0]
        mi_url = staff.url
        meta = staff.locator("p.meta").first
        expect(meta).to_contain_text("Wednesday 7 April 2027, 09:30–16:30")  # BST on the day
        expect(meta).to_contain_text("Draft")
        assert_no_axe_violations(axe, staff)
        scheduled = last_to(smtp_sink, HOST, 3)
        assert scheduled.subject == "Date agreed: Reaching more volunteers on 7 April 2027"
        assert [p.get_filename() for p in scheduled.message.iter_attachments()] == [
            f"{reference}.ics"
        ]

        # Set up the selection round while the day is a draft: its fingerprint is public
        # before anyone says they're interested.
        staff.get_by_role("link", name="Selection").first.click()
        staff.get_by_role("link", name="Set up a new round").click()
        staff.get_by_label("Name of the round").fill("Spring 2027")
        staff.get_by_label(reference, exact=False).check()
        staff.get_by_role("button", name="Set up the round").click()
        expect(
            staff.get_by_text("The round is set up; its fingerprint is public now.")
        ).to_be_visible()
        round_url = staff.url
        assert_no_axe_violations(axe, staff)

        # 1 March: open interest.
        come_back(london(2027, 3, 1, 9, 0), mi_url)
        interest_now(staff, reference, "open", "Open for interest")

        # Early March: three students say they're interested and confirm by the email link;
        # two write what they need arranged.
        clock.move_to(london(2027, 3, 3, 12, 0))
        for name, email, number in STUDENTS:
            public.context.clear_cookies()
            express_interest(
                public,
                f"{site}/my/interest/{reference}/",
                name=name,
                email=email,
                student_number=number,
                statement="I want to see how a small charity decides what to try first.",
                access_needs=ACCESS_NEEDS.get(email, ""),
            )
            expect(public.get_by_role("heading", level=1)).to_have_text("Check your email")
            acknowledgement = last_to(smtp_sink, email)
            assert reference in acknowledgement.subject
            public.goto(link_in(acknowledgement, "/my/confirm/"))
            public.get_by_role("button", name="Keep — this was me").click()
            expect(public.get_by_role("heading", level=1)).to_have_text("Your interest counts")
        check_page(public, axe)

        sign_in_with_password_and_code(staff, site, staff_user)
        staff.goto(mi_url)
        expect(fact(staff, "Interest")).to_have_text("3 (3 confirmed)")
        for name, _, _ in STUDENTS:
            expect(staff.get_by_role("row").filter(has_text=name)).to_contain_text("Confirmed")
        shot(staff, "3-interest", top=staff.get_by_role("heading", name="Expressions of interest"))
        assert_no_axe_violations(axe, staff)
        # Who asked for adjustments is marked; their own words are on their interest's page.
        for name, email, _ in STUDENTS:
            row = staff.get_by_role("row").filter(has_text=name)
            expect(row.get_by_text("Adjustments asked for")).to_have_count(
                1 if email in ACCESS_NEEDS else 0
            )
        staff.get_by_role("link", name="Amara Okafor").click()
        expect(staff.get_by_role("heading", level=1)).to_have_text(f"Amara Okafor on {reference}")
        adjustments = staff.get_by_role("heading", name="Adjustments asked for")
        expect(adjustments.locator("xpath=following-sibling::*[1]")).to_have_text(
            ACCESS_NEEDS["amara.okafor@example.ac.uk"]
        )
        expect(staff.get_by_text("I want to see how a small charity decides")).to_be_visible()
        assert_no_axe_violations(axe, staff)

        # Search (in the menu) finds a student by surname, with the host contact of the
        # same name, and the micro-internship by its reference.
        results = search_for(staff, "Okafor")
        expect(found_under(results, "Students")).to_have_text(
            re.compile(r"^Amara Okafor · S2027001 · amara\.okafor@example\.ac\.uk")
        )
        expect(found_under(results, "Host contacts")).to_contain_text("Sam Okafor · " + HOST)
        expect(found_under(results, "Micro-internships")).to_have_text("None.")
        assert_no_axe_violations(axe, staff)
        results = search_for(staff, reference)
        expect(found_under(results, "Students")).to_have_text("None.")
        found_under(results, "Micro-internships").get_by_role(
            "link", name=f"{reference}: Reaching more volunteers"
        ).click()
        assert staff.url == mi_url

        # 19 March: close interest.
        come_back(london(2027, 3, 19, 17, 5), mi_url)
        interest_now(staff, reference, "closed", "Closed for interest")

        # 22 March: seal the participant list, dry run, publish.
        come_back(london(2027, 3, 22, 10, 0), round_url)
        staff.get_by_role("button", name="Close the round and seal the participant list").click()
        expect(staff.get_by_text("the participant list is sealed")).to_be_visible()
        staff.get_by_label("Why you are making a dry run").fill("First look at the draw.")
        staff.get_by_role("button", name="Make a dry run").click()
        expect(staff.get_by_text("Dry run done: 2 would be offered a place.")).to_be_visible()
        result = staff.get_by_role("table", name="Outcome for each student, in priority order")
        expect(result.get_by_text("You were offered your first choice.")).to_have_count(2)
        expect(result.get_by_text("You are number 1 on the waiting list")).to_have_count(1)
        assert_no_axe_violations(axe, staff)
        shot(staff, "4-dry-run", top=staff.get_by_role("heading", name=re.compile("Dry run of")))
        # The confirmation says who is emailed; the coordinator holds the emails to check
        # them first. The worker decides the places; nobody is emailed until released.
        expect(staff.get_by_text("It emails 3 students, those in the table above")).to_be_visible()
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        staff.get_by_label("Hold the emails so I can check them first").check()
        staff.get_by_role("button", name="Publish this result and email everyone").click()
        expect(staff.get_by_text("Publishing: the places are being decided")).to_be_visible()
        run_the_worker()
        staff.reload()
        expect(staff.get_by_role("heading", name="Published result")).to_be_visible()
        expect(action_emails(staff)).to_contain_text("This action queued 3 emails: 3 held back.")
        run_the_worker()
        assert [len(smtp_sink.to(email)) for _, email, _ in STUDENTS] == [
            1,
            1,
            1,
        ]  # the acknowledgements
        assert_no_axe_violations(axe, staff)
        action_emails(staff).get_by_role("link", name="See each email").click()
        for _, email, _ in STUDENTS:
            expect(staff.get_by_role("row").filter(has_text=email)).to_contain_text(
                "Held for review"
            )
        staff.go_back()
        staff.get_by_role("button", name="Release the 3 held emails").click()
        expect(staff.get_by_text("3 held emails released for sending.")).to_be_visible()
        run_the_worker()
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        assert_no_axe_violations(axe, staff)
        shot(staff, "4-published", top=staff.get_by_role("heading", name="Published result"))

        # Offers emailed, each once: two places, one waiting list.
        outcomes = {email: last_to(smtp_sink, email, 2) for _, email, _ in STUDENTS}
        assert [len(smtp_sink.to(email)) for _, email, _ in STUDENTS] == [2, 2, 2]
        offered = [e for e, m in outcomes.items() if m.subject.startswith("A place for you")]
        waiting = [e for e, m in outcomes.items() if e not in offered]
        assert len(offered) == 2, {e: m.subject for e, m in outcomes.items()}
        assert outcomes[waiting[0]].subject == (
            "You're on the waiting list: Reaching more volunteers"
        )
        staff.goto(mi_url)
        expect(staff.locator("p.meta").first).to_contain_text("Selection published")
        expect(fact(staff, "Offered, awaiting a reply")).to_have_text("2")

        # 23 March: both accept from the link in their offer.
        clock.move_to(london(2027, 3, 23, 18, 0))
        for email in offered:
            public.context.clear_cookies()
            public.goto(link_in(outcomes[email], "/my/offer/"))
            public.get_by_role("button", name="Accept my place").click()
            expect(public.get_by_text("You have accepted your place")).to_be_visible()
        sign_in_with_password_and_code(staff, site, staff_user)
        staff.goto(mi_url)
        expect(fact(staff, "Accepted")).to_have_text("2")
        names = {email: name for name, email, _ in STUDENTS}

        # The team list for the facilitator's day sheet carries the adjustments in the
        # students' own words (none for a student who asked for none).
        with staff.expect_download() as download:
            staff.get_by_role("link", name=re.compile("^Download the team list")).click()
        assert download.value.suggested_filename == f"{reference}-team.csv"
        with open(download.value.path(), encoding="utf-8-sig", newline="") as team_list:
            rows = list(csv.DictReader(team_list))
        assert {row["Email"]: row["Adjustments asked for"] for row in rows} == {
            email: ACCESS_NEEDS.get(email, "") for email in offered
        }

        # The host sees the team by first name and programme only: nothing the students
        # wrote, no surnames, addresses or student numbers.
        public.context.clear_cookies()
        host_user = get_user_model().objects.get(email=HOST)
        sign_in_through_pages(public, site, host_user, smtp_sink)
        public.goto(site + "/host/")
        public.get_by_role("link", name=re.compile(f"^{reference} · ")).click()
        team = public.get_by_role("heading", name="Your team").locator(
            "xpath=following-sibling::*[1]"
        )
        assert sorted(team.get_by_role("listitem").all_inner_texts()) == sorted(
            f"{names[email].split()[0]} – BA Business Management" for email in offered
        )
        shown_to_host = public.get_by_role("main").inner_text()
        for name, email, number in STUDENTS:
            for private in (name, email, number, ACCESS_NEEDS.get(email)):
                assert not private or private not in shown_to_host, private
        assert "how a small charity decides" not in shown_to_host
        assert_no_axe_violations(axe, public)

        # An email to the team: staff see who it goes to, then it is queued for each of
        # them. Held back while the worker has not taken it, it waits; released, it goes.
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        staff.get_by_label("The team (students who accepted a place)").check()
        staff.get_by_label("Subject").fill("Before Wednesday")
        staff.get_by_label("Message").fill("Please bring a laptop if you have one.")
        staff.get_by_role("button", name="See who it goes to").click()
        expect(
            staff.get_by_text("This goes to the 2 students in the team, each on their own:")
        ).to_be_visible()
        for email in offered:
            expect(staff.get_by_role("listitem").filter(has_text=email)).to_have_text(
                f"{names[email]} ({email})"
            )
        assert_no_axe_violations(axe, staff)
        staff.get_by_role("button", name="Send it").click()
        expect(
            staff.get_by_text("Your email is on its way to the 2 students in the team.")
        ).to_be_visible()
        expect(action_emails(staff)).to_contain_text("This action queued 2 emails: 2 still queued.")
        staff.get_by_role("button", name="Hold all 2 queued emails of this action").click()
        expect(
            staff.get_by_text("2 emails held back: they will not be sent unless you release them.")
        ).to_be_visible()
        expect(action_emails(staff)).to_contain_text("This action queued 2 emails: 2 held back.")
        assert_no_axe_violations(axe, staff)
        action_emails(staff).get_by_role("link", name="See each email").click()
        for email in offered:
            row = staff.get_by_role("row").filter(has_text=email)
            expect(row).to_contain_text(f"Before Wednesday ({reference})")
            expect(row).to_contain_text("Held back by staff")
        staff.go_back()
        run_the_worker()
        assert [m.subject for m in smtp_sink.received].count(f"Before Wednesday ({reference})") == 0
        staff.get_by_role("button", name="Release the 2 held emails").click()
        expect(staff.get_by_text("2 held emails released for sending.")).to_be_visible()
        expect(action_emails(staff)).to_contain_text("This action queued 2 emails: 2 still queued.")
        run_the_worker()
        for email in offered:
            assert last_to(smtp_sink, email).subject == f"Before Wednesday ({reference})"
        staff.reload()
        expect(action_emails(staff)).to_contain_text(
            "This action queued 2 emails: 2 sent or being sent (too late to hold back)."
        )
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        staff.get_by_role("link", name="Attendance register").click()
        expect(staff.get_by_text("The register opens on Wednesday 7 April 2027")).to_be_visible()
        team_before = staff.get_by_role("heading", name="The team (2)").locator(
            "xpath=following-sibling::ul[1]"
        )
        for email in offered:
            expect(team_before.get_by_role("listitem").filter(has_text=names[email])).to_have_text(
                f"{names[email]} Adjustments asked for {ACCESS_NEEDS[email]}"
                if email in ACCESS_NEEDS
                else names[email]
            )
        assert_no_axe_violations(axe, staff)

        # The day, 7 April (British Summer Time): one present, one absent.
        present, absent = names[offered[0]], names[offered[1]]
        come_back(london(2027, 4, 7, 10, 0), mi_url)
        staff.get_by_role("link", name="Attendance register").click()
        expect(staff.locator("p.meta")).to_have_text("Wednesday 7 April 2027, 09:30")
        staff.get_by_role("group", name=present, exact=True).get_by_label("Present").check()
        staff.get_by_role("group", name=absent, exact=True).get_by_label("Absent").check()
        # The adjustments a student asked for are on their line, in their words; nothing
        # on the line of a student who asked for none.
        for email in offered:
            line = staff.get_by_role("group", name=names[email], exact=True)
            if email in ACCESS_NEEDS:
                expect(line).to_contain_text(f"Adjustments asked for {ACCESS_NEEDS[email]}")
            else:
                expect(line.get_by_text("Adjustments asked for")).to_have_count(0)
        shot(staff, "5-register")
        # Printed (the day sheet on paper): the names and their boxes, without the menu,
        # the footer or the button.
        staff.emulate_media(media="print")
        expect(staff.get_by_role("navigation", name="Main")).to_be_hidden()
        expect(staff.locator(".site-footer")).to_be_hidden()
        expect(staff.get_by_role("button", name="Save the register")).to_be_hidden()
        for name in (present, absent):
            expect(staff.get_by_role("group", name=name, exact=True)).to_be_visible()
            expect(
                staff.get_by_role("group", name=name, exact=True).get_by_label("Present")
            ).to_be_visible()
        expect(staff.get_by_role("heading", level=1)).to_have_text(
            "Register: Reaching more volunteers"
        )
        for email in offered:  # the adjustments print too
            if email in ACCESS_NEEDS:
                expect(staff.get_by_text(ACCESS_NEEDS[email])).to_be_visible()
        shot(staff, "5-register-printed")
        staff.emulate_media(media="screen")
        expect(staff.get_by_role("button", name="Save the register")).to_be_visible()
        before = {email: len(smtp_sink.to(email)) for email in offered}
        staff.get_by_role("button", name="Save the register").click()
        expect(staff.get_by_text("Register saved: 2 changes.")).to_be_visible()
        assert_no_axe_violations(axe, staff)
        thanks = last_to(smtp_sink, offered[0], before[offered[0]] + 1)
        missed = last_to(smtp_sink, offered[1], before[offered[1]] + 1)
        assert thanks.subject == "Thank you for taking part in Reaching more volunteers"
        assert missed.subject.strip() == (
            "We missed you at Reaching more volunteers – is everything all right?"
        )

        # The evening: completed; the host is asked for feedback; the certificate is there.
        come_back(london(2027, 4, 7, 17, 30), mi_url)
        staff.get_by_label("Change state").select_option(label="Completed")
        staff.get_by_role("button", name="Change state").click()
        expect(staff.get_by_text(f"{reference} is now “Completed”.")).to_be_visible()
        expect(fact(staff, "Attended")).to_have_text("1 of 2 (1 did not attend)")
        assert_no_axe_violations(axe, staff)
        shot(staff, "6-completed")
        invitation = last_to(smtp_sink, HOST, 5)  # the fourth, their sign-in code
        assert invitation.subject == "Your micro-internship as a host: a few questions"
        certificate = public.request.get(link_in(thanks, "/my/certificate/"))
        assert certificate.headers["content-type"] == "application/pdf"
        assert certificate.body().startswith(b"%PDF")

        # The next morning: with its third day the year's figures can be shown, and they
        # count this term's three interested students and its one attended.
        come_back(london(2027, 4, 8, 9, 0), site + "/staff/")
        staff.get_by_role("link", name="Insights").first.click()
        expect(staff.get_by_text("Academic year 2026/27.")).to_be_visible()
        expect(staff.get_by_text("fewer than 3 micro-internships")).to_have_count(0)
        funnel_title = "Funnel by IMD quintile (Q1 most deprived)"
        funnel = staff.get_by_role("table", name=funnel_title)
        everyone = [
            cell.strip()
            for cell in funnel.get_by_role("row", name=re.compile("^All students"))
            .inner_text()
            .split("\t")
        ]
        # Exact: 30 eligible, 11 interested, 10 offered and accepted, 9 attended (rounded to 5).
        assert everyone[:6] == ["All students", "30", "10", "10", "10", "10"], everyone
        assert_no_axe_violations(axe, staff)
        shot(staff, "7-insights", top=staff.get_by_role("heading", name=funnel_title))

        # The impact page, the same morning.
        staff.get_by_role("link", name="Impact report").click()
        expect(staff.get_by_role("heading", level=1)).to_have_text(
            "Impact: what the programme changes"
        )
        # Nobody has answered a questionnaire with research consent and the host has not
        # answered theirs: no figures, the page says so (".." for what is too few).
        expect(
            staff.get_by_text("Showing: micro-internships of academic year 2026/27.")
        ).to_be_visible()
        change = staff.get_by_role(
            "table", name="Change per scale (paired Wilcoxon signed-rank test)"
        )
        expect(change.get_by_role("row").nth(1)).to_have_text("No answers yet.")
        host_outcomes = staff.get_by_role("table", name="Host outcomes")
        value = host_outcomes.get_by_role("row", name=re.compile("^Value of the recommendations"))
        assert [cell.strip() for cell in value.inner_text().split("\t")][2:] == ["..", ".."]
        expect(staff.get_by_text("Averages of 7 or fewer answers are suppressed.")).to_be_visible()
        # The draw decided between the three, but none of them consented to research: the
        # lottery comparison says so rather than that there is no round.
        plan = staff.get_by_role("table", name="Analysis plan the lottery comparison follows")
        lottery_plan = plan.locator("xpath=ancestor::section[1]")
        expect(lottery_plan).to_contain_text("no consenting students in a published round yet")
        assert_no_axe_violations(axe, staff)
        shot(staff, "8-impact", top=lottery_plan)

        # Next term: the same challenge again on another day. The copy is a draft with
        # nobody in it; the original keeps its students and its state.
        staff.goto(mi_url)
        staff.get_by_role("link", name="Run it again on another day").click()
        expect(staff.get_by_label("Venue address")).to_have_value(re.compile("12 Mill Lane"))
        expect(staff.get_by_label("Capacity")).to_have_value("2")
        staff.get_by_label("Day").fill("2027-11-03")
        staff.get_by_label("Interest opens at").fill("2027-10-04T09:00")
        staff.get_by_label("Interest closes at").fill("2027-10-22T17:00")
        assert_no_axe_violations(axe, staff)
        staff.get_by_role("button", name="Schedule the copy and email the host").click()
        expect(
            staff.get_by_text(
                f"is scheduled as a copy of {reference}; the host has been emailed the new day."
            )
        ).to_be_visible()
        copy_reference = staff.get_by_role("heading", level=1).inner_text().split(":")[0]
        assert copy_reference != reference
        meta = staff.locator("p.meta").first
        expect(meta).to_contain_text("Wednesday 3 November 2027, 09:30–16:30")  # GMT again
        expect(meta).to_contain_text("Draft")
        expect(fact(staff, "Places")).to_have_text("2")
        expect(fact(staff, "Interest")).to_have_text("0")
        expect(fact(staff, "Accepted")).to_have_text("0")
        expect(fact(staff, "Attended")).to_have_text("0")
        expect(staff.get_by_role("heading", name="Expressions of interest (0)")).to_be_visible()
        assert_no_axe_violations(axe, staff)
        new_date = last_to(smtp_sink, HOST, 6)
        assert new_date.subject == "Date agreed: Reaching more volunteers on 3 November 2027"
        staff.goto(mi_url)
        meta = staff.locator("p.meta").first
        expect(meta).to_contain_text("Wednesday 7 April 2027, 09:30–16:30")
        expect(meta).to_contain_text("Completed")
        expect(fact(staff, "Attended")).to_have_text("1 of 2 (1 did not attend)")
        expect(staff.get_by_role("heading", name="Expressions of interest (3)")).to_be_visible()


def test_a_mistaken_decision_for_several_is_held_back_and_discarded(
    site, staff, make_user, axe, smtp_sink, settings
):
    """Staff put two students on the waiting list by mistake, hold back the two emails the
    decision queued before the worker takes them, and discard them: nobody is emailed, and
    the outbox shows why."""
    staff_user = make_user("staff", full_name="Priya Shah")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with time_machine.travel(london(2027, 3, 10, 10, 0), tick=True):
        mi = MicroInternshipFactory(open_now=True, challenge__title="Reaching more volunteers")
        for name, email, number in STUDENTS:
            ExpressionOfInterestFactory(
                micro_internship=mi,
                student=StudentFactory(full_name=name, email=email, student_number=number),
                verified_at=london(2027, 3, 3, 12, 0),
            )
        sign_in_with_password_and_code(staff, site, staff_user)
        staff.goto(f"{site}/staff/micro-internships/{mi.pk}/")
        mistaken = [name for name, _, _ in STUDENTS[:2]]
        mistaken_emails = [email for _, email, _ in STUDENTS[:2]]
        for name in mistaken:
            staff.get_by_label(f"Include {name} in the decision below").check()
        staff.get_by_label("Decision", exact=True).select_option(label="On the waiting list")
        staff.get_by_label("Reason (optional, emailed to each)").fill("The day is full.")
        staff.get_by_role("button", name="Apply to the ticked students").click()
        expect(
            staff.get_by_text("2 places now “On the waiting list”; each student is emailed.")
        ).to_be_visible()
        card = action_emails(staff)
        expect(card).to_contain_text("This action queued 2 emails: 2 still queued.")
        card.get_by_role("button", name="Hold all 2 queued emails of this action").click()
        expect(
            staff.get_by_text("2 emails held back: they will not be sent unless you release them.")
        ).to_be_visible()
        expect(card).to_contain_text("This action queued 2 emails: 2 held back.")
        assert_no_axe_violations(axe, staff)

        # The outbox shows them held back by staff; the worker leaves them.
        outbox_shows_and_the_worker_sends_none(
            staff, smtp_sink, mistaken_emails, "Held back by staff"
        )
        staff.go_back()

        card.get_by_role("button", name="Discard the 2 held emails").click()
        expect(
            staff.get_by_text("2 held emails discarded: they will never be sent.")
        ).to_be_visible()
        expect(card).to_contain_text("This action queued 2 emails: 2 discarded.")
        expect(card.get_by_role("button")).to_have_count(0)
        assert_no_axe_violations(axe, staff)
        for name in mistaken:
            expect(staff.get_by_role("row").filter(has_text=name).first).to_contain_text(
                "On the waiting list"
            )
        expect(staff.get_by_role("row").filter(has_text="Lena Fischer").first).to_contain_text(
            "Received"
        )
        outbox_shows_and_the_worker_sends_none(
            staff, smtp_sink, mistaken_emails, "Discarded (not sent)"
        )
