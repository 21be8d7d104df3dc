"""The page the acknowledgement links to ("did we get something wrong?") says, for every
outcome, exactly what happened: each test reads the whole "What we understood" section."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from microintern.applications.domain import discard_interest
from microintern.mail.inbound import acknowledge, pipeline, store, triage
from microintern.mail.inbound.enums import MessageState
from microintern.mail.inbound.models import InboundMessage
from microintern.mail.models import OutboundMessage
from microintern.programme.enums import MicroInternshipState
from tests.programme.factories import MicroInternshipFactory

from .helpers import eoi, with_attachment

pytestmark = pytest.mark.django_db
OWN_SERVER = "mx1.example.ac.uk"


def receive(raw: bytes) -> InboundMessage:
    stored = store.store_message(raw)
    pipeline.process_message(stored.message.pk)
    stored.message.refresh_from_db()
    return stored.message


def understood(message: InboundMessage) -> str:
    """The text of the page's "What we understood" section, as the sender reads it."""
    url = reverse("inbound:check", args=[acknowledge.check_token(message)])
    page = Client().get(url).content.decode()
    section = page.split("What we understood</h2>", 1)[1].split("<h2>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())


def day(value) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def mi_words(mi) -> str:
    return f"“{mi.title}” on {day(timezone.localtime(mi.starts_at))} (reference {mi.reference})"


def test_counted(corpus_world, settings):
    settings.MICROINTERN_INBOUND = {
        **settings.MICROINTERN_INBOUND,
        "TRUSTED_AUTHSERV_ID": OWN_SERVER,
    }
    _students, mi = corpus_world
    auth = {"Authentication-Results": f"{OWN_SERVER}; dmarc=pass header.from=student.example.ac.uk"}
    message = receive(eoi(headers=auth))
    assert message.interest.verified_at is not None
    assert understood(message) == (
        f"You would like to take part in {mi_words(mi)}. We have recorded your interest. "
        "Your interest counts: you do not need to confirm it."
    )


def test_waiting_for_the_confirm_link(corpus_world):
    _students, mi = corpus_world
    message = receive(eoi())
    assert message.interest.verified_at is None
    ack = OutboundMessage.objects.get(dedupe_key=f"inbound-ack:{message.pk}")
    assert "/my/confirm/" in ack.body  # the link the page speaks of was emailed
    assert understood(message) == (
        f"You would like to take part in {mi_words(mi)}. We have recorded your interest. "
        "It does not count yet: it counts once you open the confirmation link we emailed "
        "you and keep it."
    )


def test_discarded_after_the_sender_said_it_was_not_them(corpus_world):
    _students, mi = corpus_world
    message = receive(eoi())
    discard_interest(message.interest)
    message.refresh_from_db()
    assert understood(message) == (
        f"You would like to take part in {mi_words(mi)}. We have recorded your interest. "
        "You later told us that someone else made it in your name, so it does not count."
    )


def test_added_to_an_interest(corpus_world):
    _students, mi = corpus_world
    receive(eoi())
    again = receive(eoi(body="Hello,\n\nAlso: I can bring a laptop.\n\nAna"))
    assert again.state == MessageState.INTEREST_UPDATED
    assert understood(again) == (
        f"You had already told us that you would like to take part in {mi_words(mi)}. "
        "We have added this message to that interest. It does not count yet: it counts once "
        "you open the confirmation link we emailed you and keep it."
    )


def test_over_the_word_limit(corpus_world, settings):
    _students, mi = corpus_world
    words = " ".join(["word"] * (settings.MICROINTERN["STATEMENT_WORD_LIMIT"] + 40))
    message = receive(eoi(body=f"Hello,\n\n{words}\n\nAna"))
    assert message.statement_over_limit
    assert understood(message) == (
        f"You would like to take part in {mi_words(mi)}. We have recorded your interest. "
        "Your statement is longer than we ask for. We have kept all of it. It does not count "
        "yet: it counts once you open the confirmation link we emailed you and keep it."
    )


@pytest.mark.parametrize(
    "state",
    [
        MicroInternshipState.CLOSED,
        MicroInternshipState.SELECTION_PUBLISHED,
        MicroInternshipState.COMPLETED,
        MicroInternshipState.EVALUATED,
    ],
)
def test_matched_but_not_open(corpus_world, state):
    quoted = MicroInternshipFactory(reference="MI-2026-050", state=state)
    message = receive(eoi(subject="Interest in MI-2026-050"))
    assert message.state == MessageState.TRIAGE and message.student is not None
    assert understood(message) == (
        "We matched your email address to your student record, and your message to "
        f"“{quoted.title}” (reference MI-2026-050), but we have not recorded an interest from "
        "it on our own. A member of staff will read your message."
    )


@pytest.mark.parametrize("state", [MicroInternshipState.DRAFT, MicroInternshipState.CANCELLED])
def test_matched_but_not_public_names_only_the_reference(corpus_world, state):
    fields = {"cancel_reason": "The host withdrew."} if state == "cancelled" else {}
    quoted = MicroInternshipFactory(reference="MI-2026-050", state=state, **fields)
    message = receive(eoi(subject="Interest in MI-2026-050"))
    text = understood(message)
    assert text == (
        "We matched your email address to your student record, and your message to the "
        "reference MI-2026-050, but we have not recorded an interest from it on our own. "
        "A member of staff will read your message."
    )
    assert quoted.title not in text


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Interest in MI-2026-999", "Hello"),  # a code no micro-internship has
        ("Hello", "Can I take part?"),  # no code
        ("MI-2026-007 or MI-2026-008?", "Hello"),  # two codes
    ],
)
def test_no_micro_internship(corpus_world, subject, body):
    message = receive(eoi(subject=subject, body=body))
    assert message.state == MessageState.TRIAGE and message.student is not None
    assert understood(message) == (
        "We matched your email address to your student record, but we could not tell on "
        "our own which micro-internship your message is about, so we have not recorded an "
        "interest. A member of staff will read your message."
    )


def test_no_student(corpus_world):
    message = receive(eoi(sender="stranger@gmail.example"))
    assert message.student is None
    assert understood(message) == (
        "We did not match your email address to a student record, so we have not recorded "
        "anything from your message on our own. A member of staff will read your message."
    )


def test_differs_from_an_earlier_message(corpus_world):
    first = eoi(message_id="<same@student.example.ac.uk>", subject="Hello", body="One")
    receive(first)
    second = receive(eoi(message_id="<same@student.example.ac.uk>", subject="Hello", body="Two"))
    assert second.conflicts_with_id is not None and second.state == MessageState.TRIAGE
    assert understood(second) == (
        "Your message looks like an earlier message of yours but differs from it, so we have "
        "not recorded anything from it on our own. A member of staff will read your message."
    )


def test_set_aside_by_staff(corpus_world, make_user):
    message = receive(eoi(subject="Hello", body="Can I take part?"))
    triage.set_aside(message, reason="asked twice", actor=make_user("staff"))
    message.refresh_from_db()
    assert understood(message) == (
        "Your message has been set aside by a member of staff, so we have not recorded "
        "anything from it."
    )


def test_quarantined_as_too_large(corpus_world, settings):
    settings.MICROINTERN_INBOUND = {**settings.MICROINTERN_INBOUND, "MAX_MESSAGE_BYTES": 50_000}
    message = receive(with_attachment(eoi(), 80_000))
    assert message.state == MessageState.QUARANTINED
    assert understood(message) == (
        "We have not opened your message, because it is too large, so we have not recorded "
        "anything from it."
    )


def test_not_read_yet(corpus_world):
    message = store.store_message(eoi()).message
    assert understood(message) == "We have not read your message yet."


def test_a_reader_who_chose_welsh_reads_the_page_in_welsh(corpus_world):
    _students, mi = corpus_world
    message = receive(eoi())
    reader = Client()
    reader.get(reverse("set_language"), {"language": "cy", "next": "/"})
    url = reverse("inbound:check", args=[acknowledge.check_token(message)])
    page = html.unescape(reader.get(url).content.decode())
    assert "<h1>Eich e-bost aton ni</h1>" in page
    assert f"Hoffech chi gymryd rhan yn “{mi.title}”" in page
    assert "bydd yn cyfrif unwaith y byddwch yn agor y ddolen gadarnhau" in page
    assert "Beth wnaethon ni o’i le?" in page  # the form's label
    refused = reader.post(url, {"correction": ""})
    assert "Dywedwch wrthym beth wnaethon ni o’i le." in html.unescape(refused.content.decode())
    broken = reader.get(reverse("inbound:check", args=["not-a-token"]))
    assert broken.status_code == 404
    assert "Nid yw'r ddolen hon yn gweithio" in html.unescape(broken.content.decode())
