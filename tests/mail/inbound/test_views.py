"""Staff inbox pages and the sender's check page."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from microintern.applications.models import ExpressionOfInterest
from microintern.core.models import ActivityLog
from microintern.mail.inbound import acknowledge, parse, pipeline, store, triage
from microintern.mail.inbound.enums import MessageState
from microintern.mail.inbound.models import InboundMessage, PersonalAddress
from microintern.mail.models import OutboundMessage

from .helpers import eoi, with_attachment

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).parents[1] / "corpus"


def receive(raw: bytes):
    stored = store.store_message(raw)
    pipeline.process_message(stored.message.pk)
    stored.message.refresh_from_db()
    return stored.message


def test_inbox_shows_what_needs_a_person(staff_client, corpus_world):
    unknown = receive(eoi(sender="stranger@gmail.example", subject="Can I join?"))
    receive((CORPUS / "bounce_postfix.eml").read_bytes())
    page = staff_client.get(reverse("staff:inbound")).content.decode()
    assert "Can I join?" in page and "Unknown sender" in page
    assert "Undelivered" not in page
    page = staff_client.get(reverse("staff:inbound") + "?kind=bounce").content.decode()
    assert "Bounce" in page and "Can I join?" not in page
    detail = staff_client.get(reverse("staff:inbound_message", args=[unknown.pk]))
    assert b"Record the interest" in detail.content


def test_html_is_shown_only_sanitised(staff_client, corpus_world):
    raw = (
        b"From: stranger@gmail.example\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p onclick='x()'>Hello <script>alert(1)</script><a href='javascript:bad()'>x</a>"
        b"<img src='https://tracker.example/p.gif'></p>\r\n"
    )
    message = receive(raw)
    page = staff_client.get(reverse("staff:inbound_message", args=[message.pk])).content.decode()
    assert "<p>Hello" in page
    for bad in ("<script>alert", "onclick", "javascript:", "tracker.example"):
        assert bad not in page


def test_raw_source_and_attachments_download_only(staff_client, corpus_world):
    message = receive((CORPUS / "attachment_path_traversal.eml").read_bytes())
    raw = staff_client.get(reverse("staff:inbound_raw", args=[message.pk]))
    assert raw.content == message.raw_bytes
    assert raw["Content-Disposition"].startswith("attachment;")
    assert raw["X-Content-Type-Options"] == "nosniff"
    page = staff_client.get(reverse("staff:inbound_message", args=[message.pk])).content.decode()
    parsed = parse.parse_message(message.raw_bytes)
    kept = [i for i, a in enumerate(parsed.attachments) if a.allowed]
    for index in kept:
        response = staff_client.get(reverse("staff:inbound_attachment", args=[message.pk, index]))
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == "application/octet-stream"
        assert "/" not in response["Content-Disposition"].split("filename=")[1]
    dropped = [i for i, a in enumerate(parsed.attachments) if not a.allowed]
    for index in dropped:
        url = reverse("staff:inbound_attachment", args=[message.pk, index])
        assert staff_client.get(url).status_code == 404
        assert url not in page


def test_staff_link_a_message_to_a_student(staff_client, corpus_world):
    students, mi = corpus_world
    ana = students["a.pereira@student.example.ac.uk"]
    message = receive(eoi(sender="ana.personal@gmail.example", subject="Hello"))
    assert message.state == MessageState.TRIAGE
    url = reverse("staff:inbound_link", args=[message.pk])
    refused = staff_client.post(url, {"student": "nobody", "reference": "MI-1999-001"})
    assert refused.status_code == 400 and b"No student has this number" in refused.content
    staff_client.post(
        url, {"student": ana.student_number, "reference": mi.reference, "remember_address": "on"}
    )
    message.refresh_from_db()
    assert message.state == MessageState.INTEREST_CREATED
    interest = ExpressionOfInterest.objects.get(student=ana, micro_internship=mi)
    assert message.interest == interest and interest.verified_at is None
    address = PersonalAddress.objects.get(address="ana.personal@gmail.example")
    assert address.student == ana and address.confirmed_at is None
    # The question goes to her university address; the link confirms on POST only.
    question = OutboundMessage.objects.get(role="personal_address_confirm")
    assert question.to == ana.email and "ana.personal@gmail.example" in question.body
    link = re.search(r"https?://\S+/email/address/\S+/", question.body).group(0)
    path = link.split("//", 1)[1].split("/", 1)[1]
    client = Client()
    assert b"Yes, it is my address" in client.get("/" + path).content
    address.refresh_from_db()
    assert address.confirmed_at is None
    assert b"We will recognise your emails" in client.post("/" + path).content
    address.refresh_from_db()
    assert address.confirmed_at is not None
    # Her next email from that address is hers.
    later = receive(eoi(sender="ana.personal@gmail.example", subject="MI-2026-007 again"))
    assert later.student == ana and later.state == MessageState.INTEREST_UPDATED


def test_set_aside_needs_a_reason_and_reprocess_reopens(staff_client, corpus_world):
    message = receive(eoi(sender="stranger@gmail.example"))
    url = reverse("staff:inbound_set_aside", args=[message.pk])
    assert staff_client.post(url, {"reason": ""}).status_code == 400
    staff_client.post(url, {"reason": "Spam"})
    message.refresh_from_db()
    assert message.state == MessageState.SET_ASIDE and "Spam" in message.reason
    staff_client.post(reverse("staff:inbound_reprocess", args=[message.pk]))
    message.refresh_from_db()
    assert message.state == MessageState.TRIAGE and message.attempts == 2


def test_staff_reply_to_a_triaged_message_threads_under_it(staff_client, corpus_world):
    message = receive(
        eoi(
            sender="stranger@gmail.example",
            message_id="<q1@gmail.example>",
            headers={"References": "<q0@gmail.example>"},
        )
    )
    assert message.state == MessageState.TRIAGE
    page = staff_client.get(reverse("staff:inbound_message", args=[message.pk]))
    assert "Reply to stranger@gmail.example" in page.content.decode()
    url = reverse("staff:inbound_reply", args=[message.pk])
    assert staff_client.post(url, {"text": "  "}).status_code == 400
    response = staff_client.post(url, {"text": "Which micro-internship do you mean?"}, follow=True)
    assert "Your reply to stranger@gmail.example is in the outbox." in response.content.decode()
    reply = OutboundMessage.objects.get(role="inbound_staff_reply")
    assert reply.to == "stranger@gmail.example"
    assert reply.subject == "Re: Interest in MI-2026-007"
    assert reply.body.startswith("Which micro-internship do you mean?")
    assert reply.headers["In-Reply-To"] == "<q1@gmail.example>"
    assert reply.headers["References"] == "<q0@gmail.example> <q1@gmail.example>"
    assert "Auto-Submitted" not in reply.headers
    message.refresh_from_db()
    assert message.state == MessageState.TRIAGE
    assert ActivityLog.objects.filter(action="inbound.replied").count() == 1


def test_the_sender_can_say_we_got_it_wrong(client, corpus_world):
    message = receive(eoi(sender="stranger@gmail.example"))
    url = reverse("inbound:check", args=[acknowledge.check_token(message)])
    page = client.get(url)
    assert b"We did not match your email address to a student record" in page.content
    assert client.post(url, {"correction": ""}).status_code == 200
    response = client.post(url, {"correction": "I meant MI-2026-007"}, follow=True)
    assert b"Thank you" in response.content
    message.refresh_from_db()
    assert message.correction == "I meant MI-2026-007" and message.state == MessageState.TRIAGE
    assert client.get(reverse("inbound:check", args=["forged"])).status_code == 404


def test_a_correction_to_an_interest_shows_in_the_inbox(staff_client, corpus_world):
    message = receive(eoi(subject="Interest in MI-2026-007", body="Count me in"))
    assert message.state == MessageState.INTEREST_CREATED
    triage.record_correction(message, "Wrong day, I meant MI-2026-008")
    page = staff_client.get(reverse("staff:inbound")).content.decode()
    assert "Interest in MI-2026-007" in page


# Nothing hidden, and triage at scale ---------------------------------------------------------


def _big(tmp_settings, subject="CV attached"):
    """A student's interest over a 1 MB size limit (stored as its headers)."""
    tmp_settings.MICROINTERN_INBOUND = {
        **tmp_settings.MICROINTERN_INBOUND,
        "MAX_MESSAGE_BYTES": 1024 * 1024,
    }
    return receive(with_attachment(eoi(subject=subject), 2 * 1024 * 1024))


def test_the_inbox_lists_quarantined_mail_and_counts_what_it_does_not_list(
    staff_client, corpus_world, settings
):
    big = _big(settings)
    assert big.state == MessageState.QUARANTINED
    for name in ("bounce_postfix.eml", "bounce_exim.eml", "ooo_english_gmail_vacation.eml"):
        receive((CORPUS / name).read_bytes())
    page = staff_client.get(reverse("staff:inbound")).content.decode()
    assert "CV attached" in page and "(headers only)" in page  # a student's, never hidden
    # What is not listed is counted by class and reason, each count a link to the messages.
    summary = page.split('id="not-listed-title"')[1].split("</section>")[0]
    rows = [
        [re.sub(r"<span.*?</span>|<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", r)]
        for r in re.findall(r"<tr>.*?</tr>", summary, re.S)
    ]
    assert ["Quarantined (not opened)", "Written by a person", "Too large", "1"] in rows, rows
    assert ["Set aside", "Bounce or delivery report", "–", "2"] in rows, rows
    assert ["Set aside", "Automatic reply", "–", "1"] in rows, rows
    link = re.search(r'href="\?(state=set_aside&amp;kind=bounce&amp;reason=)"', summary)
    listed = staff_client.get(reverse("staff:inbound") + "?" + link.group(1).replace("&amp;", "&"))
    assert listed.content.decode().count('name="selected"') == 2


def test_filter_by_reason_and_by_words_of_the_reason(staff_client, corpus_world, settings):
    _big(settings)
    receive(eoi(sender="stranger@gmail.example", subject="Who am I?"))
    by_code = staff_client.get(reverse("staff:inbound") + "?reason=too_large").content.decode()
    assert "CV attached" in by_code and "Who am I?" not in by_code
    by_text = staff_client.get(reverse("staff:inbound") + "?text=unknown+sender").content.decode()
    assert "Who am I?" in by_text and "CV attached" not in by_text


def _bulk(client, action, ids, **extra):
    data = {"action": action, "selected": ids, "page_ids": ids, "query": "", **extra}
    return client.post(reverse("staff:inbound_bulk"), data)


def test_many_messages_set_aside_with_one_reason_then_undone(staff_client, corpus_world):
    news = [receive(eoi(sender=f"shop{i}@example.org", subject=f"Sale {i}")) for i in range(3)]
    keep = receive(eoi(sender="stranger@gmail.example", subject="A real question"))
    ids = [m.pk for m in news]
    response = _bulk(staff_client, "set_aside", ids, reason="newsletters")
    assert response.status_code == 302
    for message in news:
        message.refresh_from_db()
        assert message.state == MessageState.SET_ASIDE
        assert (
            message.reason == "Set aside by staff: newsletters"
            and message.reason_code == "by_staff"
        )
    keep.refresh_from_db()
    assert keep.state == MessageState.TRIAGE
    page = staff_client.get(response.url).content.decode()
    assert "3 messages set aside." in page and "Undo: restore them" in page
    assert "A real question" in page and "Sale 1" not in page
    # Undo puts each back where it was, with the reason it had.
    undo = re.search(r'<form method="post" action="[^"]+" class="undo">(.*?)</form>', page, re.S)
    data = dict(re.findall(r'name="(query|all_on_page|action)" value="([^"]*)"', undo.group(1)))
    data["page_ids"] = re.findall(r'name="page_ids" value="(\d+)"', undo.group(1))
    data["csrfmiddlewaretoken"] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    staff_client.post(reverse("staff:inbound_bulk"), data)
    for message in news:
        message.refresh_from_db()
        assert message.state == MessageState.TRIAGE and message.reason.startswith("Unknown sender")
    assert ActivityLog.objects.filter(action="inbound.restored").count() == 3


def test_select_all_on_the_page_works_without_ticking_each_box(staff_client, corpus_world):
    news = [receive(eoi(sender=f"shop{i}@example.org", subject=f"Sale {i}")) for i in range(3)]
    ids = [m.pk for m in news]
    data = {"action": "set_aside", "all_on_page": "on", "page_ids": ids, "reason": "spam"}
    staff_client.post(reverse("staff:inbound_bulk"), data)
    assert all(m.state == "set_aside" for m in InboundMessage.objects.filter(pk__in=ids))


def test_a_bulk_action_with_nothing_ticked_or_no_reason_says_so_and_keeps_the_choice(
    staff_client, corpus_world
):
    news = [receive(eoi(sender=f"shop{i}@example.org", subject=f"Sale {i}")) for i in range(2)]
    ids = [m.pk for m in news]
    nothing = _bulk(staff_client, "set_aside", [], page_ids=ids, reason="x")
    assert nothing.status_code == 400
    assert "Tick the messages to act on" in nothing.content.decode()
    no_reason = _bulk(staff_client, "set_aside", [ids[1]])
    page = no_reason.content.decode()
    assert no_reason.status_code == 400 and "Say why the messages are set aside." in page
    assert f'value="{ids[1]}" id="pick-{ids[1]}" checked' in page  # the tick is kept
    assert f'value="{ids[0]}" id="pick-{ids[0]}">' in page
    assert not InboundMessage.objects.filter(state=MessageState.SET_ASIDE).exists()


def test_bulk_reprocess_and_what_cannot_be_done_is_said_per_message(
    staff_client, corpus_world, settings
):
    interest = receive(eoi())
    stranger = receive(eoi(sender="a.pereira.home@gmail.example", subject="Me again"))
    assert interest.state == MessageState.INTEREST_CREATED
    response = _bulk(staff_client, "set_aside", [interest.pk, stranger.pk], reason="tidy")
    page = staff_client.get(response.url).content.decode()
    assert "1 message set aside." in page
    assert f"Message #{interest.pk} not set aside: This message became an interest" in page
    response = _bulk(staff_client, "reprocess", [interest.pk, stranger.pk])
    page = staff_client.get(response.url).content.decode()
    assert "1 message processed again." in page
    stranger.refresh_from_db()
    assert stranger.state == MessageState.TRIAGE  # processed again: still an unknown sender
    response = _bulk(staff_client, "restore", [stranger.pk])
    assert (
        "not restored: This message is not set aside."
        in staff_client.get(response.url).content.decode()
    )


def test_a_quarantined_message_set_aside_is_restored_to_quarantine(corpus_world, settings):
    big = _big(settings)
    triage.set_aside(big, reason="looked at it in the mailbox", actor=None)
    big.refresh_from_db()
    assert (big.state, big.reason_code) == (MessageState.SET_ASIDE, "by_staff")
    triage.restore(big, actor=None)
    big.refresh_from_db()
    assert (big.state, big.reason_code) == (MessageState.QUARANTINED, "too_large")
    assert big.reason == big.oversize_reason


def test_a_bounce_the_pipeline_set_aside_is_restored_to_triage(staff_client, corpus_world):
    bounce = receive((CORPUS / "bounce_postfix.eml").read_bytes())
    response = staff_client.post(reverse("staff:inbound_restore", args=[bounce.pk]))
    assert response.status_code == 302
    bounce.refresh_from_db()
    assert bounce.state == MessageState.TRIAGE
    assert bounce.reason.startswith("Restored by staff; it had been set aside: Bounce")


def test_a_headers_only_message_page_says_so_and_shows_its_headers(
    staff_client, corpus_world, settings
):
    big = _big(settings)
    page = staff_client.get(reverse("staff:inbound_message", args=[big.pk])).content.decode()
    assert "only its headers were kept" in page and "Download its headers (.eml)" in page
    assert "All headers" in page and "CV attached" in page
    assert "<h2>Message</h2>" not in page  # no (empty) body passed off as the message
    assert "Told a.pereira@student.example.ac.uk" in page
