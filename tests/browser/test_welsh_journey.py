"""The student journey in Welsh, in Chromium: switch to Cymraeg on the list, open a
micro-internship, send the interest form once with a mistake (the message is in Welsh and
what was typed is kept) and then right, and read the "sent" page and the acknowledgement in
Welsh. Every page is in Welsh (lang="cy"), axe finds nothing, and the choice is remembered
from page to page until the student switches back."""

import pytest
from playwright.sync_api import expect

from microintern.accounts.models import Student
from tests import smtp_sink as sink
from tests.browser.conftest import save_screenshot
from tests.browser.student_pages import check_page, last_to, open_micro_internship

smtp_sink = sink.smtp_sink  # the fixture
pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "megan.pritchard@example.ac.uk"
STATEMENT = (
    "Rydw i eisiau gweld sut mae busnes bach lleol yn penderfynu ble i dyfu, a gweithio "
    "mewn tîm ar broblem go iawn."
)


def in_welsh(page) -> None:
    assert page.locator("html").get_attribute("lang") == "cy", page.url
    expect(page.get_by_role("link", name="English")).to_be_visible()


def test_the_welsh_student_journey(site, page, axe, smtp_sink):
    mi = open_micro_internship()

    page.goto(site + "/")
    assert page.locator("html").get_attribute("lang") == "en-GB"
    page.get_by_role("link", name="Cymraeg").click()
    in_welsh(page)
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Micro-interniaethau sydd ar agor nawr"
    )
    expect(page.get_by_text("(amser y DU)").first).to_be_visible()
    check_page(page, axe)
    save_screenshot(page, "welsh-1-list")

    # The choice is remembered on the next page (a cookie), and on every one after it.
    page.get_by_role("link", name=mi.title).click()
    in_welsh(page)
    expect(page.get_by_role("heading", name="Beth fydd y tîm yn ei wneud")).to_be_visible()
    check_page(page, axe)
    page.get_by_role("link", name="Dywedwch fod gennych ddiddordeb").click()

    # The form, sent once with a university address that is not one: Welsh messages, text kept.
    in_welsh(page)
    check_page(page, axe)
    page.get_by_label("Eich enw llawn").fill("Megan Pritchard")
    page.get_by_label("Eich cyfeiriad e-bost prifysgol").fill("megan@gmail.com")
    page.get_by_label("Eich rhif myfyriwr").fill("s2024777")
    page.get_by_label("Pam mae gennych ddiddordeb?").fill(STATEMENT)
    assert page.locator("#statement-count").inner_text().startswith("Rydych wedi defnyddio")
    page.get_by_label("Gallaf ddod ar y diwrnod").check()
    page.get_by_role("button", name="Anfon").click()
    summary = page.get_by_role("alert")
    assert "Mae problem" in summary.inner_text()
    assert "Defnyddiwch eich cyfeiriad e-bost prifysgol" in summary.inner_text()
    assert page.get_by_label("Pam mae gennych ddiddordeb?").input_value() == STATEMENT
    assert page.get_by_label("Eich enw llawn").input_value() == "Megan Pritchard"
    assert page.title().startswith("Gwall:")
    in_welsh(page)
    check_page(page, axe)
    save_screenshot(page, "welsh-2-form-errors")

    page.get_by_label("Eich cyfeiriad e-bost prifysgol").fill(EMAIL)
    page.get_by_role("button", name="Anfon").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Gwiriwch eich e-bost"
    in_welsh(page)
    expect(page.get_by_role("heading", name="Beth sy'n digwydd nesaf")).to_be_visible()
    check_page(page, axe)
    save_screenshot(page, "welsh-3-sent")

    ack = last_to(smtp_sink, EMAIL)
    assert ack.subject.strip().startswith("Mae eich diddordeb yn ") and mi.reference in ack.subject
    assert "Diolch am ddweud bod gennych ddiddordeb" in ack.body
    assert Student.objects.get(email=EMAIL).user.language == "cy"

    # Back to English: remembered too.
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en-GB"
    page.goto(site + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Micro-internships open now"
    check_page(page, axe)
