"""The staff inbox and the sender's check page in a real browser: axe (WCAG 2.2 A/AA) finds
no violations, error states included; a triaged message is linked to a student by keyboard
and mouse as staff would."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from microintern.mail.inbound import acknowledge, pipeline, store
from microintern.mail.inbound.enums import MessageState
from microintern.mail.inbound.models import InboundMessage
from tests.accounts.factories import StudentFactory
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.mail.inbound.helpers import eoi
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db(transaction=True)
CORPUS = Path(__file__).parent.parent / "mail" / "corpus"


def receive(raw: bytes) -> InboundMessage:
    stored = store.store_message(raw)
    pipeline.process_message(stored.message.pk)
    stored.message.refresh_from_db()
    return stored.message


def test_inbox_message_and_actions_are_accessible(live_server, page, axe, make_user):
    sign_in(page, live_server.url, make_user("staff"))
    student = StudentFactory(email="ana@example.ac.uk")
    mi = MicroInternshipFactory(open_now=True)
    triaged = receive(eoi(sender="ana.personal@gmail.example", subject="Can I come?"))
    html = (
        b"From: someone@example.org\r\nSubject: formatted\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<h1>Big</h1><p>Hello <a href='https://example.org'>link</a></p><table><tr><td>x</td>"
        b"</tr></table>\r\n"
    )
    formatted = receive(html)
    for path in ("bounce_postfix.eml", "attachment_path_traversal.eml"):
        receive((CORPUS / path).read_bytes())

    page.goto(live_server.url + "/staff/inbox/")
    expect(page.get_by_role("link", name="Can I come?")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + "/staff/inbox/?state=set_aside")
    assert_no_axe_violations(axe, page)

    page.goto(live_server.url + f"/staff/inbox/{formatted.pk}/")
    page.get_by_text("The message as formatted by the sender").click()
    assert_no_axe_violations(axe, page)

    page.goto(live_server.url + f"/staff/inbox/{triaged.pk}/")
    assert_no_axe_violations(axe, page)
    page.get_by_role("button", name="Record the interest").click()  # empty: errors
    expect(page.get_by_role("alert")).to_contain_text("Enter the student's number")
    assert_no_axe_violations(axe, page)
    page.get_by_label("Student number or university email address").fill(student.student_number)
    page.get_by_label("Micro-internship reference").fill(mi.reference)
    page.get_by_role("button", name="Record the interest").click()
    expect(page.get_by_text("Interest recorded").first).to_be_visible()
    assert_no_axe_violations(axe, page)
    triaged.refresh_from_db()
    assert triaged.state == MessageState.INTEREST_CREATED


def test_the_check_page_is_accessible(live_server, page, axe):
    message = receive(eoi(sender="stranger@gmail.example"))
    url = live_server.url + f"/email/check/{acknowledge.check_token(message)}/"
    page.goto(url)
    assert_no_axe_violations(axe, page)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("Tell us what we got wrong")
    assert_no_axe_violations(axe, page)
    page.get_by_label("What did we get wrong?").fill("I meant the one on Friday.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + "/email/check/not-a-token/")
    assert_no_axe_violations(axe, page)


@pytest.mark.parametrize("width", [1280, 320])
def test_acting_on_many_messages_by_keyboard_is_accessible(
    live_server, page, axe, make_user, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, make_user("staff"))
    news = [receive(eoi(sender=f"shop{i}@example.org", subject=f"Sale {i}")) for i in range(3)]
    keep = receive(eoi(sender="stranger@gmail.example", subject="A real question"))
    receive((CORPUS / "bounce_postfix.eml").read_bytes())
    page.goto(live_server.url + "/staff/inbox/")
    expect(page.get_by_role("heading", name="Quarantined and set aside")).to_be_visible()
    assert_no_axe_violations(axe, page)

    # Nothing ticked: a clear message, axe-clean, nothing changed.
    page.get_by_role("button", name="Set aside", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Tick the messages to act on")
    assert_no_axe_violations(axe, page)

    # By keyboard: tick two boxes with the space bar, type the reason, press the button.
    for message in news[:2]:
        box = page.get_by_label(f"Select message #{message.pk}: Sale")
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    page.get_by_label("Reason for setting them aside").fill("shop newsletters")
    page.get_by_role("button", name="Set aside", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("2 messages set aside.")).to_be_visible()
    assert_no_axe_violations(axe, page)
    assert {m.state for m in InboundMessage.objects.filter(pk__in=[n.pk for n in news[:2]])} == {
        MessageState.SET_ASIDE
    }

    # "Select all on this page" ticks every box (with JavaScript); undo restores the two.
    page.get_by_label("Select all 2 messages on this page").check()
    for message in (news[2], keep):
        expect(page.get_by_label(f"Select message #{message.pk}:")).to_be_checked()
    page.get_by_role("button", name="Undo: restore them").click()
    expect(page.get_by_text("2 messages restored.")).to_be_visible()
    assert not InboundMessage.objects.filter(state=MessageState.SET_ASIDE, kind="human").exists()
    page.goto(live_server.url + "/staff/inbox/?state=set_aside&kind=bounce")
    assert_no_axe_violations(axe, page)
