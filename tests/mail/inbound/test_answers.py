"""The automatic reply says exactly what happened: one email per outcome, each promise
checked as the student reads it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from microintern.accounts.enums import Role
from microintern.applications.models import ExpressionOfInterest
from microintern.mail.enums import EmailRole
from microintern.mail.inbound import acknowledge, pipeline, store
from microintern.mail.inbound.enums import MessageState
from microintern.mail.inbound.models import InboundMessage
from microintern.mail.models import OutboundMessage
from microintern.mail.templating import render_role
from microintern.programme.enums import MicroInternshipState
from tests.accounts.factories import UserFactory
from tests.programme.factories import MicroInternshipFactory

from .helpers import eoi

pytestmark = pytest.mark.django_db
OWN_SERVER = "mx1.example.ac.uk"


def receive(raw: bytes) -> InboundMessage:
    stored = store.store_message(raw)
    pipeline.process_message(stored.message.pk)
    stored.message.refresh_from_db()
    return stored.message


def answer_to(message: InboundMessage) -> OutboundMessage:
    return OutboundMessage.objects.get(dedupe_key=f"inbound-ack:{message.pk}")


def test_counted_says_it_counts_and_asks_for_nothing(corpus_world, settings):
    settings.MICROINTERN_INBOUND = {
        **settings.MICROINTERN_INBOUND,
        "TRUSTED_AUTHSERV_ID": OWN_SERVER,
    }
    _students, mi = corpus_world
    message = receive(
        eoi(
            headers={
                "Authentication-Results": f"{OWN_SERVER}; dmarc=pass header.from="
                "student.example.ac.uk"
            }
        )
    )
    ack = answer_to(message)
    assert ack.role == EmailRole.INBOUND_ACK_COUNTED
    assert ack.subject == "Re: Interest in MI-2026-007 – interest recorded"
    assert f'We have recorded your interest in "{mi.title}"' in ack.body
    assert "It counts now: you do not need to confirm it." in ack.body
    assert "/my/confirm/" not in ack.body
    assert message.interest.verified_at is not None


def test_confirm_says_it_does_not_count_until_the_link_is_opened(corpus_world):
    message = receive(eoi())
    ack = answer_to(message)
    assert ack.role == EmailRole.INBOUND_ACK_CONFIRM
    assert ack.subject == "Re: Interest in MI-2026-007 – please confirm"
    assert (
        "It does not count yet. Please open this link, check what we recorded, and keep it"
        in ack.body
    )
    assert "/my/confirm/" in ack.body
    assert message.interest.verified_at is None


def test_a_second_message_says_it_was_added_to_the_interest(corpus_world):
    receive(eoi())
    again = receive(eoi(body="Hello,\n\nAlso: I can bring a laptop.\n\nAna"))
    assert again.state == MessageState.INTEREST_UPDATED
    ack = answer_to(again)
    assert ack.role == EmailRole.INBOUND_ACK_ADDED
    assert "which you had already told us you are interested in. We have added this" in ack.body
    assert "It does not count yet." in ack.body and "/my/confirm/" in ack.body
    assert ExpressionOfInterest.objects.count() == 1


def test_over_the_word_limit_says_how_long_and_that_all_was_kept(corpus_world, settings):
    limit = settings.MICROINTERN["STATEMENT_WORD_LIMIT"]
    words = " ".join(["word"] * (limit + 40))
    message = receive(eoi(body=f"Hello,\n\n{words}\n\nBest wishes,\nAna"))
    ack = answer_to(message)
    assert ack.role == EmailRole.INBOUND_ACK_OVER_LIMIT
    assert f"it has {limit + 40} words, and the limit is {limit}." in ack.body
    assert "We have kept all of it" in ack.body
    assert message.interest.statement.count("word") == limit + 40


NOT_OPEN = [
    ({"state": MicroInternshipState.CLOSED}, "because it is closed for interest.", True),
    (
        {"state": MicroInternshipState.SELECTION_PUBLISHED},
        "because it is closed for interest and the team has been chosen.",
        True,
    ),
    ({"state": MicroInternshipState.COMPLETED}, "because it has already taken place.", True),
    ({"state": MicroInternshipState.EVALUATED}, "because it has already taken place.", True),
    (
        {"state": MicroInternshipState.CANCELLED, "cancel_reason": "The host withdrew."},
        "because it has been cancelled.",
        False,
    ),
    ({"state": MicroInternshipState.DRAFT}, "because it is not open for interest.", False),
    (
        {"open_now": True, "interest_closes_at": "an hour ago"},
        "because it is closed for interest.",
        True,
    ),
]


@pytest.mark.parametrize(("fields", "because", "named"), NOT_OPEN)
def test_not_open_says_which_and_what_is_open_now(corpus_world, fields, because, named):
    _students, open_mi = corpus_world
    if fields.get("interest_closes_at") == "an hour ago":
        fields = {**fields, "interest_closes_at": timezone.now() - timedelta(hours=1)}
    quoted = MicroInternshipFactory(reference="MI-2026-050", **fields)
    message = receive(eoi(subject="Interest in MI-2026-050"))
    assert message.state == MessageState.TRIAGE
    assert "MI-2026-050 is not open for interest" in message.reason
    assert not ExpressionOfInterest.objects.exists()
    ack = answer_to(message)
    assert ack.role == EmailRole.INBOUND_ACK_NOT_OPEN
    assert ack.subject == "Re: Interest in MI-2026-050 – not open for interest"
    assert "We have not recorded an interest, " + because in ack.body
    assert (quoted.title in ack.body) is named
    assert "could not match" not in ack.body
    assert f"Open for interest now:\n- {open_mi.title} (MI-2026-007), " in ack.body


def test_not_open_yet_gives_the_day_interest_opens(corpus_world):
    opens = timezone.now() + timedelta(days=5)
    MicroInternshipFactory(
        reference="MI-2026-051", state=MicroInternshipState.OPEN, interest_opens_at=opens
    )
    ack = answer_to(receive(eoi(subject="Interest in MI-2026-051")))
    day = timezone.localtime(opens)
    assert f"because interest in it opens on {day:%A} {day.day} {day:%B %Y}." in ack.body


def test_an_unknown_code_is_named_and_nothing_is_recorded(corpus_world):
    message = receive(eoi(subject="Interest in MI-2026-999"))
    ack = answer_to(message)
    assert ack.role == EmailRole.INBOUND_ACK_UNKNOWN_CODE
    assert "You gave the reference MI-2026-999, but no micro-internship has it" in ack.body
    assert "Open for interest now:" in ack.body
    assert message.state == MessageState.TRIAGE


def test_no_code_says_a_person_will_read_it_and_why(corpus_world):
    ack = answer_to(receive(eoi(subject="Hello", body="Can I take part?\n\nAna")))
    assert ack.role == EmailRole.INBOUND_ACKNOWLEDGEMENT
    assert (
        "We have not recorded anything from it on our own: we could not tell which "
        "micro-internship it is about. A member of staff will read your message."
    ) in ack.body


@pytest.mark.parametrize(
    "sender",
    [
        "=?utf-8?q?a.pereira@student.example.ac.uk?=",
        "a.pereira@student.example.ac.uk <attacker@evil.example>",
        "=?utf-8?q?a.pereira=40student.example.ac.uk?=@evil.example",
        "a.pereira@student.example.ac.uk, attacker@evil.example",
    ],
)
def test_a_spoofed_or_malformed_from_is_nobodys_and_gets_no_answer(corpus_world, sender):
    raw = eoi(envelope="attacker@evil.example").replace(
        b"From: a.pereira@student.example.ac.uk", f"From: {sender}".encode()
    )
    message = receive(raw)
    assert message.state == MessageState.TRIAGE
    assert message.reason.startswith("No sender:")
    assert message.student is None and not ExpressionOfInterest.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert message.acknowledgement_note == (
        "Not acknowledged: the From header is not a single, well-formed address."
    )


def test_the_too_large_answer_names_the_size_and_what_to_send_instead():
    subject, body = render_role(
        EmailRole.INBOUND_REFUSED,
        {"subject": "My application", "too_large": True, "size": "29 MB", "limit": "10 MB"},
    )
    assert subject == "Re: My application – we could not open it"
    assert "Your email was 29 MB, which is more than we can open safely" in body
    assert "nothing in it has been recorded" in body
    assert "without attachments, under 10 MB in all" in body


def test_every_answer_is_counted_towards_the_daily_limit():
    automatic = {role for role in EmailRole if role.value.startswith("inbound_ack")}
    assert set(acknowledge.ACK_ROLES) == automatic | {EmailRole.INBOUND_REFUSED}


def test_a_student_who_chose_welsh_is_answered_in_welsh(corpus_world):
    students, mi = corpus_world
    student = students["a.pereira@student.example.ac.uk"]
    student.user = UserFactory(email=student.email, role=Role.STUDENT, language="cy")
    student.save(update_fields=["user"])
    ack = answer_to(receive(eoi()))
    assert ack.role == EmailRole.INBOUND_ACK_CONFIRM
    assert ack.subject == "Re: Interest in MI-2026-007 – cadarnhewch, os gwelwch yn dda"
    assert f'Rydyn ni wedi cofnodi eich diddordeb yn "{mi.title}"' in ack.body
    assert "Dydy e ddim yn cyfrif eto." in ack.body and "/my/confirm/" in ack.body
    assert "Thank you" not in ack.body
