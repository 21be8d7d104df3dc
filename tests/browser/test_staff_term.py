"""A whole term as Business Clinic staff see it, through the real pages only, with the
clock moved through the cycle (a spring term in 2027; the clocks go forward on 28 March,
between selection and the day):

a host offers a challenge → staff accept it → schedule the day → set up the selection
round → open interest → three students say they're interested and confirm → close
interest → seal, dry run, publish → offers emailed, two accepted → on the day the
register (present, absent) → completed → thank-you with the certificate → the impact
report and the dashboard count the term.

Staff sign in at each step with their password and authenticator code (the clock moved on
past their session). Every staff page is checked with axe; every email is caught by a real
SMTP server. MICROINTERN_SCREENSHOTS=docs/screenshots saves the pictures in docs/staff.md.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import expect

from microintern.applications.enums import PlaceState
from microintern.insights.models import PopulationRecord
from microintern.programme.enums import MicroInternshipState
from tests import smtp_sink as sink
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.conftest import assert_no_axe_violations, save_screenshot
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


@pytest.fixture
def staff(chromium):
    """The staff member's own browser, on a desktop screen 1280 px wide."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id="Europe/London"
    )
    yield context.new_page()
    context.close()


def test_a_whole_term_as_staff(site, staff, page, make_user, axe, smtp_sink):
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

        # Early March: three students say they're interested and confirm by the email link.
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
        staff.get_by_role("button", name="Publish this result and email everyone").click()
        expect(staff.get_by_role("heading", name="Published result")).to_be_visible()
        assert_no_axe_violations(axe, staff)

        # Offers emailed: two places, one waiting list.
        outcomes = {email: last_to(smtp_sink, email, 2) for _, email, _ in STUDENTS}
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
        staff.get_by_role("link", name="Attendance register").click()
        expect(staff.get_by_text("The register opens on Wednesday 7 April 2027")).to_be_visible()
        assert_no_axe_violations(axe, staff)

        # The day, 7 April (British Summer Time): one present, one absent.
        names = {email: name for name, email, _ in STUDENTS}
        present, absent = names[offered[0]], names[offered[1]]
        come_back(london(2027, 4, 7, 10, 0), mi_url)
        staff.get_by_role("link", name="Attendance register").click()
        expect(staff.locator("p.meta")).to_have_text("Wednesday 7 April 2027, 09:30")
        staff.get_by_role("group", name=present, exact=True).get_by_label("Present").check()
        staff.get_by_role("group", name=absent, exact=True).get_by_label("Absent").check()
        shot(staff, "5-register")
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
        expect(fact(staff, "Attended")).to_have_text("1 (1 did not attend)")
        assert_no_axe_violations(axe, staff)
        shot(staff, "6-completed")
        invitation = last_to(smtp_sink, HOST, 4)
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
