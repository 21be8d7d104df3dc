"""Selection in a real browser: set up a round, dry run with explanations, an override with
a reason, publish, a student declining so the next one waiting is offered, and the public
policy page — axe finds no WCAG 2.2 A/AA violations on any of them, error states included."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from microintern.applications.enums import PlaceState
from microintern.applications.links import offer_token
from microintern.core.models import ActivityLog
from microintern.programme.domain import set_interest_window_now
from microintern.programme.enums import MicroInternshipState
from microintern.selection.models import SelectionRound
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_dry_run_override_and_publish(live_server, page, axe, make_user):
    staff = make_user("staff")
    sign_in(page, live_server.url, staff)
    mis = [MicroInternshipFactory(open_now=True, capacity=c) for c in (2, 1)]
    interests = [
        ExpressionOfInterestFactory(micro_internship=mis[n % 2], verified_at=timezone.now())
        for n in range(6)
    ]
    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="Selection").click()
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="Set up a new round").click()
    page.get_by_role("button", name="Set up the round").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_label("Name of the round").fill("Spring 2027")
    for mi in mis:
        page.get_by_label(mi.reference, exact=False).check()
    page.get_by_role("button", name="Set up the round").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Spring 2027"
    selection_round = SelectionRound.objects.get()
    assert selection_round.seed_commitment in page.content()
    assert_no_axe_violations(axe, page)

    # The public pages show the fingerprint, not the seed.
    page.get_by_role("link", name="How we choose").click()
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="Spring 2027").click()
    assert selection_round.seed_commitment in page.content()
    assert selection_round.seed not in page.content()
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + f"/staff/selection/{selection_round.pk}/")

    page.get_by_role("link", name="Change the name or policy").click()
    assert_no_axe_violations(axe, page)
    page.get_by_label("Most students from one programme (soft)").first.fill("1")
    page.get_by_label("Why the policy changes").fill("A mix of programmes in each team.")
    page.get_by_role("button", name="Save the policy").click()

    # No draw while interest is open; closing seals the participant list.
    page.get_by_role("button", name="Close the round and seal the participant list").click()
    assert "Interest is still open" in page.content()
    assert_no_axe_violations(axe, page)
    for mi in mis:
        set_interest_window_now(mi, open_it=False)
    page.get_by_role("button", name="Close the round and seal the participant list").click()
    assert "the participant list is sealed" in page.content()
    page.get_by_label("Why you are making a dry run").fill("First look.")
    page.get_by_role("button", name="Make a dry run").click()
    assert "Dry run done: 3 would be offered a place." in page.content()
    table = page.get_by_role("table", name="Outcome for each student, in priority order")
    assert table.get_by_text("Priority group 1: never taken part").count() == 6
    expect(page.get_by_role("heading", name="Team balance warnings")).to_be_visible()
    assert_no_axe_violations(axe, page)

    # An override without a reason is refused, with the error announced.
    left_out = next(
        i
        for i in interests
        if i.student.full_name in table.inner_text()
        and "Waiting list"
        in table.get_by_role("row").filter(has_text=i.student.student_number).inner_text()
    )
    page.get_by_label("Student number").fill(left_out.student.student_number)
    page.get_by_label("Micro-internship", exact=True).select_option(
        label=left_out.micro_internship.reference
    )
    page.get_by_role("button", name="Save the override").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_label("Reason").fill("Can only come on this date (caring responsibilities).")
    page.get_by_role("button", name="Save the override").click()
    assert "Override saved and logged." in page.content()
    assert ActivityLog.objects.filter(action="selection.override_added", actor=staff).exists()
    page.get_by_label("Why you are making a dry run").fill("After the override.")
    page.get_by_role("button", name="Run again").click()
    row = page.get_by_role("row").filter(has_text=left_out.student.student_number)
    assert "gave you a place: Can only come on this date" in row.inner_text()
    assert_no_axe_violations(axe, page)

    page.get_by_role("button", name="Publish this result and email everyone").click()
    assert "Publishing: offers and every other outcome are going out" in page.content()
    expect(page.get_by_role("heading", name="Published result")).to_be_visible()
    assert_no_axe_violations(axe, page)
    left_out.refresh_from_db()
    assert left_out.state == PlaceState.OFFERED
    for mi in mis:
        mi.refresh_from_db()
        assert mi.state == MicroInternshipState.SELECTION_PUBLISHED
    selection_round.refresh_from_db()

    # A student declines from the link in their offer email: the next one waiting is offered.
    run = selection_round.runs.get(kind="published")
    result = next(m for m in run.result["micro_internships"] if m["team"] and m["waitlist"])
    mi = next(m for m in mis if m.reference == result["reference"])
    holder = mi.interests.get(student__student_number=result["team"][0])
    student_page = page.context.browser.new_context().new_page()
    student_page.goto(live_server.url + reverse("applications:offer", args=[offer_token(holder)]))
    student_page.get_by_role("button", name="Decline").click()
    student_page.get_by_role("button", name="Yes, decline the place").click()
    assert "You declined this place" in student_page.content()
    next_one = mi.interests.get(student__student_number=result["waitlist"][0])
    assert next_one.state == PlaceState.OFFERED
    assert next_one.outcome_reason.startswith("A place came free and you were next")
    student_page.context.close()

    page.goto(live_server.url + f"/selection/{selection_round.pk}/")
    assert selection_round.seed in page.content()
    expect(page.get_by_role("heading", name="Check the draw")).to_be_visible()
    assert "After the override." in page.content()  # every dry run is listed
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="Find your row and the cut-offs you faced").click()
    page.get_by_label("Your number").fill("not-a-number")
    page.get_by_role("button", name="Show my row").click()
    assert "No participant has this number" in page.content()
    assert_no_axe_violations(axe, page)
