"""Inbound email: what people do with a message — staff in triage, and the sender.

Staff process a message again, link it to a student and a micro-internship, set it aside
or reply to its sender; the sender may tell us we misunderstood (the link in our
acknowledgement). A message that became an interest stays so: the interest is withdrawn
instead.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.core.domain import log_activity
from microintern.core.errors import Busy, Refusal, TransitionNotAllowed
from microintern.mail import outbox
from microintern.mail.models import OutboundMessage
from microintern.programme.models import MicroInternship

from . import lifecycle
from .acknowledge import held_interest_emails
from .addresses import ask_to_confirm_address, own_addresses
from .classify import DEFAULT_LOOP_HEADER
from .config import inbound_setting
from .enums import MessageState, ReasonCode
from .interpret import extract_statement, normalise_address
from .lifecycle import Outcome
from .models import InboundMessage
from .parse import ParsedMessage, parse_message
from .pipeline import process_message, process_messages, record_emailed_interest

STAFF_REPLY_ROLE = "inbound_staff_reply"


class ReplyRefused(Refusal):
    """The message has no address a reply could go to."""


def process_again(message: InboundMessage, *, actor) -> MessageState | None:
    """Staff: take a message in triage, set aside or quarantined through the pipeline again
    (one that became an interest stays as it is). Side effects: those of
    `pipeline.process_message`, logged `inbound.reprocess` first."""
    return process_message(message.pk, again=True, actor=actor)


def record_correction(message: InboundMessage, text: str) -> None:
    """The sender says we misunderstood (from the link in the acknowledgement).

    Rules: the note is kept and the message goes to triage for a person; an interest already
    recorded stays until staff decide. Side effects: logs `inbound.corrected`.
    """
    with transaction.atomic():
        locked = lifecycle.lock_message(message.pk)
        locked.correction = text.strip()[:5000]
        locked.corrected_at = timezone.now()
        if locked.interest_id:
            locked.save(update_fields=["correction", "corrected_at"])
            log_activity(locked, "inbound.corrected", note=locked.correction[:1000])
            return
        lifecycle.transition_message(
            locked,
            Outcome(
                MessageState.TRIAGE, f"The sender says we misunderstood: {locked.correction[:300]}"
            ),
            fields=["correction", "corrected_at"],
            action="inbound.corrected",
            note=locked.correction[:1000],
        )


def set_aside(message: InboundMessage, *, reason: str, actor) -> None:
    """Staff ignore a message with a reason (never one that became an interest: refused).
    Side effects: state set aside, logs `inbound.set_aside`."""
    with transaction.atomic():
        locked = lifecycle.lock_message(message.pk)
        if locked.interest_id and locked.state in MessageState.became_interest():
            raise TransitionNotAllowed.because(
                "This message became an interest; withdraw the interest instead."
            )
        lifecycle.transition_message(
            locked,
            Outcome(
                MessageState.SET_ASIDE, f"Set aside by staff: {reason}", code=ReasonCode.BY_STAFF
            ),
            actor=actor,
        )


def restore(message: InboundMessage, *, actor) -> Outcome:
    """Staff undo a set-aside: the message goes back to where it was before (triage or
    quarantine, with the reason it had there), or to triage when the pipeline set it aside.
    Rule: only a message that is set aside (refused otherwise). Side effects: its state,
    logs `inbound.restored`."""
    with transaction.atomic():
        locked = lifecycle.lock_message(message.pk)
        if not locked.can_be_restored:
            raise TransitionNotAllowed.because("This message is not set aside.")
        if locked.restore_state:
            outcome = Outcome(
                MessageState(locked.restore_state), locked.restore_reason, locked.restore_code
            )
        else:
            outcome = Outcome(
                MessageState.TRIAGE, f"Restored by staff; it had been set aside: {locked.reason}"
            )
        lifecycle.transition_message(
            locked, outcome, actor=actor, action="inbound.restored", was=locked.reason[:300]
        )
        return outcome


@dataclass
class Done:
    """What an action on many messages did: the messages it changed, and for each of the
    others the sentence saying why not."""

    changed: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def _each(ids, act) -> Done:
    done = Done()
    messages = InboundMessage.objects.defer("raw").in_bulk(list(dict.fromkeys(ids)))
    for pk in sorted(messages):
        try:
            act(messages[pk])
        except (Refusal, Busy) as refused:
            done.refused[pk] = str(refused)
        else:
            done.changed.append(pk)
    return done


def set_aside_many(ids, *, reason: str, actor) -> Done:
    """Staff set many messages aside with one reason: `set_aside` for each (one that became
    an interest, or is set aside already, is left as it is and said so)."""

    def act(message: InboundMessage) -> None:
        if message.state == MessageState.SET_ASIDE:
            raise TransitionNotAllowed.because("It is set aside already.")
        set_aside(message, reason=reason, actor=actor)

    return _each(ids, act)


def restore_many(ids, *, actor) -> Done:
    """Staff undo setting many messages aside: `restore` for each."""
    return _each(ids, lambda message: restore(message, actor=actor))


def process_again_many(ids, *, actor) -> Done:
    """Staff take many messages through the pipeline again together (`process_again`; one
    that became an interest stays as it is and is said so)."""
    messages = InboundMessage.objects.defer("raw").in_bulk(list(dict.fromkeys(ids)))
    done = Done()
    again = []
    for pk in sorted(messages):
        if messages[pk].state in MessageState.reopenable():
            again.append(pk)
        else:
            done.refused[pk] = f"It is {messages[pk].get_state_display().lower()} already."
    for start in range(0, len(again), 50):
        process_messages(again[start : start + 50], again=True, actor=actor)
    done.changed = again
    return done


def link_to_student(
    message: InboundMessage, *, student: Student, mi: MicroInternship, actor, remember_address=False
) -> Outcome:
    """Staff link a triaged message to a student and a micro-internship: the interest is
    recorded as if the message had been understood (not verified unless the student has shown
    the address is theirs). With `remember_address`, the sender's address is kept as a
    personal address of the student, to be confirmed by the student. Side effects: those of
    `record_emailed_interest`; logs `inbound.linked`."""
    with transaction.atomic():
        locked = lifecycle.lock_message(message.pk)
        if locked.state in MessageState.became_interest():
            return Outcome(MessageState(locked.state), locked.reason)
        parsed = parse_message(locked.raw_bytes)
        text = extract_statement(parsed).text if isinstance(parsed, ParsedMessage) else ""
        locked.student = student
        locked.micro_internship = mi
        outcome = record_emailed_interest(locked, student, mi, text, actor=actor)
        if outcome.state == MessageState.INTEREST_CREATED:
            # The interest's own acknowledgement (with the confirm link) goes to the student.
            outbox.release_held(held_interest_emails(locked), actor=actor)
        log_activity(locked, "inbound.linked", actor=actor, student=student.pk, mi=mi.reference)
        address = normalise_address(locked.from_address)
        if remember_address and address and address != student.email.lower():
            ask_to_confirm_address(student, address, actor=actor)
        lifecycle.transition_message(locked, outcome, actor=actor)
        return outcome


def reply_to_sender(message: InboundMessage, *, text: str, actor) -> OutboundMessage:
    """Staff reply to an inbound message's sender with a short text they wrote.

    Rule: the reply goes to the message's From address, never to one of our own addresses
    (ReplyRefused otherwise); it threads under the message (In-Reply-To and References) and
    carries our loop header, so a copy that comes back is recognised as ours. The message's
    state does not change. Side effects: one outbox row (role `inbound_staff_reply`, delivery
    enqueued after commit); logs `inbound.replied` on the message.
    """
    address = normalise_address(message.from_address or "")
    if not address or "@" not in address:
        raise ReplyRefused("This message has no sender address to reply to.")
    if address in own_addresses():
        raise ReplyRefused("This message is from one of our own addresses.")
    parsed = parse_message(message.raw_bytes)
    known = list(parsed.references) if isinstance(parsed, ParsedMessage) else []
    headers = {DEFAULT_LOOP_HEADER: inbound_setting("LOOP_VALUE")}
    if message.message_id:
        headers["In-Reply-To"] = message.message_id
        headers["References"] = " ".join([*known, message.message_id])[-900:]
    subject = message.subject.strip()
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject or 'your message'}"
    with transaction.atomic():
        reply = outbox.queue_email(
            STAFF_REPLY_ROLE,
            to=address,
            context={"subject": subject, "reply": text.strip()},
            person=message.student,
            about=message,
            headers=headers,
        )
        log_activity(message, "inbound.replied", actor=actor, to=address, outbound=reply.pk)
    return reply
