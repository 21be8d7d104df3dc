"""Store → parse → classify → interpret → acknowledge, without IMAP."""

from pathlib import Path

import pytest
from django.utils import timezone

from microintern.applications.enums import Source
from microintern.applications.models import ExpressionOfInterest
from microintern.mail.enums import MessageState as OutboxState
from microintern.mail.inbound import acknowledge, pipeline, store
from microintern.mail.inbound.enums import MessageKind, MessageState
from microintern.mail.inbound.models import InboundMessage, PersonalAddress
from microintern.mail.inbound.parse import QuarantineCode, Quarantined
from microintern.mail.models import OutboundMessage
from tests.programme.factories import MicroInternshipFactory

from .helpers import eoi

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).parents[1] / "corpus"
FINAL = {
    MessageState.INTEREST_CREATED,
    MessageState.INTEREST_UPDATED,
    MessageState.TRIAGE,
    MessageState.SET_ASIDE,
    MessageState.QUARANTINED,
}


def receive(raw: bytes, **kwargs) -> InboundMessage:
    stored = store.store_message(raw, **kwargs)
    pipeline.process_message(stored.message.pk)
    stored.message.refresh_from_db()
    return stored.message


def acks(message=None):
    rows = OutboundMessage.objects.filter(role__in=acknowledge.ACK_ROLES)
    return rows.filter(dedupe_key=f"inbound-ack:{message.pk}") if message else rows


def test_an_emailed_interest_is_recorded_and_acknowledged_once(corpus_world):
    students, mi = corpus_world
    ana = students["a.pereira@student.example.ac.uk"]
    message = receive(eoi())
    assert message.state == MessageState.INTEREST_CREATED
    assert message.kind == MessageKind.HUMAN
    interest = ExpressionOfInterest.objects.get(student=ana, micro_internship=mi)
    assert message.interest == interest
    assert interest.source == Source.EMAIL
    assert interest.verified_at is None  # nobody vouched for the sender: the link decides
    assert "I look after my brother" in interest.statement
    ack = acks(message).get()
    assert ack.to == "a.pereira@student.example.ac.uk"
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    assert ack.headers["In-Reply-To"] == message.message_id
    assert ack.headers["X-Microintern-Loop"] == "microintern"
    assert mi.reference in ack.body and "/my/confirm/" in ack.body and "/email/check/" in ack.body
    # The interest's own acknowledgement would say the same: only ours is sent.
    assert not OutboundMessage.objects.filter(role="interest_acknowledged").exists()
    # Processing or storing again changes nothing.
    assert store.store_message(message.raw_bytes).created is False
    assert pipeline.process_message(message.pk) == MessageState.INTEREST_CREATED
    assert acks().count() == 1 and ExpressionOfInterest.objects.count() == 1


def test_the_confirm_link_goes_only_to_the_students_own_address(corpus_world):
    students, mi = corpus_world
    message = receive(eoi(envelope="someone-else@evil.example"))
    assert message.state == MessageState.INTEREST_CREATED
    ack = acks(message).get()
    assert ack.to == "someone-else@evil.example"
    # Nothing about the student or their interest goes to someone else's envelope.
    for secret in ("/my/confirm/", mi.reference, "/email/check/", "recorded"):
        assert secret not in ack.body
    own = OutboundMessage.objects.get(role="interest_acknowledged")
    assert own.to == "a.pereira@student.example.ac.uk" and own.state == OutboxState.QUEUED
    assert "/my/confirm/" in own.body


def test_our_own_mail_server_vouching_makes_it_count_at_once(corpus_world, settings):
    settings.MICROINTERN_INBOUND = {
        **settings.MICROINTERN_INBOUND,
        "TRUSTED_AUTHSERV_ID": "mx1.example.ac.uk",
    }
    message = receive((CORPUS / "human_plain_eoi.eml").read_bytes())
    assert message.state == MessageState.INTEREST_CREATED
    assert message.vouched_by_own_server
    assert message.interest.verified_at is not None
    assert "/my/confirm/" not in acks(message).get().body


def test_a_forged_vouch_from_another_server_does_not_count(corpus_world, settings):
    settings.MICROINTERN_INBOUND = {
        **settings.MICROINTERN_INBOUND,
        "TRUSTED_AUTHSERV_ID": "mx1.example.ac.uk",
    }
    raw = eoi(headers={"Authentication-Results": "evil.example; dmarc=pass header.from=x"})
    message = receive(raw)
    assert message.interest.verified_at is None


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.name)
def test_every_corpus_message_ends_in_exactly_one_final_state(corpus_world, path):
    message = receive(path.read_bytes(), origin=path.name)
    assert message.state in FINAL
    assert message.reason
    if message.state == MessageState.SET_ASIDE:
        assert message.kind in MessageKind.values
    if message.state in (MessageState.INTEREST_CREATED, MessageState.INTEREST_UPDATED):
        assert message.kind == MessageKind.HUMAN and message.interest is not None
    if message.kind and message.kind != MessageKind.HUMAN:
        assert not acks(message).exists()
        assert message.interest is None


def test_the_whole_corpus_at_once_is_idempotent(corpus_world):
    for path in sorted(CORPUS.glob("*.eml")):
        receive(path.read_bytes(), origin=path.name)
    snapshot = list(InboundMessage.objects.values_list("pk", "state", "interest"))
    interests, sent = ExpressionOfInterest.objects.count(), acks().count()
    assert interests >= 3
    for path in sorted(CORPUS.glob("*.eml")):
        receive(path.read_bytes(), origin=path.name)
    assert list(InboundMessage.objects.values_list("pk", "state", "interest")) == snapshot
    assert (ExpressionOfInterest.objects.count(), acks().count()) == (interests, sent)
    classes = dict(InboundMessage.objects.values_list("origin", "kind"))
    assert classes["bounce_postfix.eml"] == MessageKind.BOUNCE
    assert classes["ooo_german_subject_only.eml"] == MessageKind.AUTO_REPLY
    assert classes["loop_own_acknowledgement.eml"] == MessageKind.LOOP
    assert classes["list_mailman.eml"] == MessageKind.BULK


def test_unknown_sender_goes_to_a_person_who_replies(corpus_world):
    message = receive(eoi(sender="stranger@gmail.example"))
    assert message.state == MessageState.TRIAGE
    assert "Unknown sender" in message.reason
    # A phisher's test message must not learn that the mailbox is read.
    assert not acks().exists()
    assert message.acknowledgement_note == (
        "Not acknowledged: stranger@gmail.example is not a student on record: a person replies."
    )


def test_a_confirmed_personal_address_is_matched(corpus_world):
    students, mi = corpus_world
    ana = students["a.pereira@student.example.ac.uk"]
    PersonalAddress.objects.create(
        student=ana, address="ana.p@gmail.example", confirmed_at=timezone.now()
    )
    message = receive(eoi(sender="ana.p@gmail.example"))
    assert message.state == MessageState.INTEREST_CREATED and message.student == ana
    assert "/my/confirm/" in acks(message).get().body  # it went to her confirmed address


def test_unconfirmed_personal_address_is_not_enough(corpus_world):
    students, _mi = corpus_world
    PersonalAddress.objects.create(
        student=students["a.pereira@student.example.ac.uk"], address="ana.p@gmail.example"
    )
    assert receive(eoi(sender="ana.p@gmail.example")).state == MessageState.TRIAGE


@pytest.mark.parametrize(
    ("subject", "body", "reason"),
    [
        ("Hello", "I would like to join a micro-internship.", "No reference code"),
        ("MI-2026-007 or MI-2026-008?", "Either.", "More than one reference code"),
        ("MI-2026-999", "Please.", "matches no micro-internship"),
    ],
)
def test_no_or_ambiguous_reference_goes_to_triage(corpus_world, subject, body, reason):
    MicroInternshipFactory(open_now=True, reference="MI-2026-008")
    message = receive(eoi(subject=subject, body=body))
    assert message.state == MessageState.TRIAGE
    assert reason in message.reason


def test_the_only_open_one_is_used_when_the_message_names_it(corpus_world):
    _students, mi = corpus_world
    message = receive(
        eoi(subject="Hello", body=f"I'd love to work with {mi.challenge.organisation.name}.")
    )
    assert message.state == MessageState.INTEREST_CREATED and message.micro_internship == mi


def test_a_code_in_the_subject_wins_over_the_body(corpus_world):
    MicroInternshipFactory(open_now=True, reference="MI-2026-008")
    message = receive(eoi(subject="MI-2026-008", body="Unlike MI-2026-007 last year..."))
    assert message.micro_internship.reference == "MI-2026-008"


def test_a_closed_micro_internship_goes_to_triage(corpus_world):
    closed = MicroInternshipFactory(reference="MI-2026-009")
    message = receive(eoi(subject=f"Interest in {closed.reference}"))
    assert message.state == MessageState.TRIAGE
    assert "not open for interest" in message.reason


def test_a_second_email_is_added_to_the_interest(corpus_world):
    first = receive(eoi())
    second = receive(eoi(body="Sorry, I forgot: I can come any day."))
    assert second.state == MessageState.INTEREST_UPDATED
    assert second.interest == first.interest
    assert ExpressionOfInterest.objects.count() == 1


def test_an_over_long_statement_is_kept_whole_and_flagged(corpus_world):
    words = " ".join(f"word{i}" for i in range(400))
    message = receive(eoi(body=words))
    assert message.state == MessageState.INTEREST_CREATED
    assert message.statement_over_limit and message.interest.statement_over_limit
    assert message.interest.statement.endswith("word399")
    assert "longer than the word limit" in message.reason


def test_same_message_id_with_different_bytes_is_flagged_not_dropped(corpus_world):
    first = receive(eoi(message_id="<same@student.example.ac.uk>"))
    second = receive(eoi(message_id="<same@student.example.ac.uk>", body="Something else"))
    assert second.pk != first.pk and second.conflicts_with == first
    assert second.state == MessageState.TRIAGE and "different content" in second.reason
    assert store.store_message(second.raw_bytes).message == second


def test_without_message_id_the_hash_dedupes():
    raw = b"From: x@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
    first = store.store_message(raw)
    again = store.store_message(raw)
    assert first.created and not again.created and first.message == again.message
    assert first.message.dedupe_key.startswith("import:sha:")


def test_the_same_message_through_two_channels_is_one_interest(corpus_world, dovecot_free_mailbox):
    raw = eoi()
    receive(raw)
    twin = receive(raw, mailbox=dovecot_free_mailbox)
    assert twin.state == MessageState.SET_ASIDE and "Duplicate" in twin.reason
    assert acks().count() == 1


def test_acknowledgements_are_limited_per_address_per_day(corpus_world):
    for i in range(5):
        receive(eoi(subject=f"question {i}", body="What is a micro-internship?"))
    assert acks().count() == 3
    assert InboundMessage.objects.filter(acknowledgement_note__contains="daily limit").count() == 2


def test_hostile_messages_are_quarantined_not_lost(corpus_world):
    huge_header = b"From: x@example.org\r\nSubject: " + b"A" * 300_000 + b"\r\n\r\nbody\r\n"
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(5000))
    many_parts = (
        b"From: x@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        + parts
        + b"--b--\r\n"
    )
    words = b"From: " + b" ".join(b"=?utf-8?q?a?=" for _ in range(100_000)) + b"\r\n\r\nx\r\n"
    for raw in (huge_header, many_parts, words):
        message = receive(raw)
        assert message.state == MessageState.QUARANTINED, message.reason
        assert bytes(message.raw) == raw
    assert not acks().exists()


def test_an_unexpected_error_sends_the_message_to_triage(corpus_world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(pipeline, "find_micro_internship", broken)
    message = receive(eoi())
    assert message.state == MessageState.TRIAGE
    assert "RuntimeError" in message.parse_error


def test_a_message_that_cannot_be_read_goes_to_a_person(corpus_world, monkeypatch):
    """Oversize or hostile mail is quarantined; mail the parser fails on is triaged."""

    def unreadable(raw, *args, **kwargs):
        return Quarantined(QuarantineCode.UNPARSEABLE, "could not be read", "0" * 64, len(raw))

    monkeypatch.setattr(pipeline, "parse_message", unreadable)
    message = receive(eoi())
    assert message.state == MessageState.TRIAGE and message.parse_error == "could not be read"


def test_mail_our_server_marked_as_spam_is_set_aside_unanswered(corpus_world):
    message = receive(eoi(headers={"X-Spam-Flag": "YES"}))
    assert message.state == MessageState.SET_ASIDE and "Spam" in message.reason
    assert not acks().exists() and not ExpressionOfInterest.objects.exists()


def test_a_forged_sender_gets_no_acknowledgement(corpus_world, settings):
    """Spam forging a stranger's address must not make us write to that stranger."""
    settings.MICROINTERN_INBOUND = {
        **settings.MICROINTERN_INBOUND,
        "TRUSTED_AUTHSERV_ID": "mx1.example.ac.uk",
    }
    forged = eoi(
        sender="victim@example.org",
        headers={"Authentication-Results": "mx1.example.ac.uk; dmarc=fail header.from=example.org"},
    )
    message = receive(forged)
    assert message.state == MessageState.TRIAGE
    assert not acks().exists()
    assert "failed authentication at our mail server (dmarc=fail)" in message.acknowledgement_note
