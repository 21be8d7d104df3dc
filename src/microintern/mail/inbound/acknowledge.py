"""Inbound email, step 6: acknowledge human mail once, without backscatter.

An acknowledgement (RFC 3834: Auto-Submitted, our loop header, threaded) goes only where
the decision table `replies.REPLY_RULES` allows it (human mail from a person's real
envelope sender, not ours, not marked as spam, not forged), at most ACK_PER_ADDRESS_PER_DAY
to one address and once per message. Its link leads to a page where the sender can say we
got it wrong.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db.models import Count
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from microintern.applications import links as application_links
from microintern.applications.models import ExpressionOfInterest
from microintern.mail import outbox
from microintern.mail.enums import EmailRole
from microintern.mail.enums import MessageState as OutboxState
from microintern.mail.models import OutboundMessage
from microintern.programme.enums import MicroInternshipState
from microintern.programme.queries import open_for_interest

from .addresses import SenderLookup, envelope_sender
from .classify import DEFAULT_LOOP_HEADER, Classification
from .config import inbound_setting
from .enums import MessageState
from .interpret import normalise_address
from .lifecycle import Outcome
from .models import InboundMessage
from .parse import ParsedMessage
from .replies import auto_reply_decision

ACK_ROLE = EmailRole.INBOUND_ACKNOWLEDGEMENT
# One email per outcome: each says exactly what happened to the message.
ACK_ROLES = (
    EmailRole.INBOUND_ACKNOWLEDGEMENT,
    EmailRole.INBOUND_ACK_COUNTED,
    EmailRole.INBOUND_ACK_CONFIRM,
    EmailRole.INBOUND_ACK_ADDED,
    EmailRole.INBOUND_ACK_OVER_LIMIT,
    EmailRole.INBOUND_ACK_NOT_OPEN,
    EmailRole.INBOUND_ACK_UNKNOWN_CODE,
    EmailRole.INBOUND_ACK_NEUTRAL,
    EmailRole.INBOUND_REFUSED,
)
OPEN_NOW_SHOWN = 5


class Found(StrEnum):
    """What interpreting a human message found, for the sender's answer."""

    RECORDED = "recorded"
    NOT_OPEN = "not_open"
    UNKNOWN_CODE = "unknown_code"
    PERSON = "person"


class NotOpen(StrEnum):
    """Why a micro-internship takes no interest (the answer says which)."""

    DRAFT = "draft"
    NOT_YET = "not_yet"
    CLOSED = "closed"
    SELECTION_PUBLISHED = "selection_published"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Finding:
    """`found`, with `detail`: the reference code (recorded, not open, unknown code) or, for
    a person, why in a few words the sender may read; `why` a `NotOpen` value; `length` how
    the statement exceeds the limit ("" when it does not)."""

    found: Found
    detail: str = ""
    why: str = ""
    length: str = ""


CHECK_SALT = "inbound.check"
CHECK_MAX_AGE = timedelta(days=30)


class AckCounts:
    """Acknowledgements sent to each address in the last day, read once per batch and
    counted on as the batch sends more."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._acks: dict[str, int] = {}

    def load(self, addresses: set[str]) -> None:
        wanted = addresses - self._acks.keys()
        if wanted:
            self._acks.update(dict.fromkeys(wanted, 0))
            counts = (
                OutboundMessage.objects.filter(
                    role__in=ACK_ROLES, created_at__gte=self.now - timedelta(days=1)
                )
                .annotate(lowered_to=Lower("to"))
                .filter(lowered_to__in=wanted)
                .values("lowered_to")
                .annotate(count=Count("pk"))
            )
            self._acks.update({row["lowered_to"]: row["count"] for row in counts})

    def today(self, address: str) -> int:
        self.load({address})
        return self._acks[address]

    def acknowledged(self, address: str) -> None:
        self._acks[address] = self.today(address) + 1


def acknowledge(
    message: InboundMessage,
    parsed: ParsedMessage,
    classification: Classification,
    outcome: Outcome,
    finding: Finding,
    *,
    own: set[str],
    senders: SenderLookup,
    acks: AckCounts,
) -> None:
    """Acknowledge human mail once, to the envelope sender, with RFC 3834 headers.

    Rules: only when the decision table (`replies.REPLY_RULES`) allows it;
    at most ACK_PER_ADDRESS_PER_DAY to one address; one per message (the outbox's dedupe key).
    An envelope sender other than the From address gets a neutral reply (nothing about the
    From address's student record). The confirm link for a new interest goes only to the
    student's own address: when the
    envelope sender is that address it is in our acknowledgement and the interest's own
    acknowledgement is discarded; otherwise the interest's own email (to the address on
    record) is released as well. Side effects: maybe one outbox row; the message's
    `acknowledgement_note` (saved with the message).
    """
    envelope = envelope_sender(parsed)
    allowed, why = auto_reply_decision(
        parsed,
        classification,
        own_addresses=own,
        envelope_sender=envelope,
        trusted_authserv_id=inbound_setting("TRUSTED_AUTHSERV_ID"),
        sender_on_record=message.student is not None,
    )
    # Only recording an interest holds emails (its own acknowledgement, see below).
    held = held_interest_emails(message) if outcome.state == MessageState.INTEREST_CREATED else []
    student = message.student
    to_student = (
        envelope is not None
        and student is not None
        and (envelope == student.email.lower() or senders.confirmed_by(envelope, student))
    )
    if not allowed:
        message.acknowledgement_note = f"Not acknowledged: {why}."[:300]
    elif acks.today(envelope) >= inbound_setting("ACK_PER_ADDRESS_PER_DAY"):
        message.acknowledgement_note = f"Not acknowledged: daily limit reached for {envelope}."
    else:
        references = " ".join([*parsed.references, parsed.message_id or ""]).strip()
        headers = {
            "Auto-Submitted": "auto-replied",
            DEFAULT_LOOP_HEADER: inbound_setting("LOOP_VALUE"),
        }
        if parsed.message_id:
            headers["In-Reply-To"] = parsed.message_id
            headers["References"] = references[-900:]
        # Replying to an envelope sender that is not the From address must not tell them what
        # we know about the From address (is it a student's? did they express interest?).
        neutral = envelope != normalise_address(parsed.sender or "") and not to_student
        role, context = answer(message, outcome, finding, to_student=to_student)
        if neutral:
            role, context = EmailRole.INBOUND_ACK_NEUTRAL, {}
        outbox.queue_email(
            role,
            to=envelope,
            context={"subject": parsed.subject, "check_url": check_url(message), **context},
            person=message.student if to_student else None,
            about=message,
            dedupe_key=f"inbound-ack:{message.pk}",
            headers=headers,
        )
        acks.acknowledged(envelope)
        message.acknowledgement_note = f"Acknowledged to {envelope}."[:300]
    if held:
        if to_student and message.acknowledgement_note.startswith("Acknowledged"):
            OutboundMessage.objects.filter(pk__in=held).delete()
        else:
            outbox.release_held(held, actor=None)


def answer(
    message: InboundMessage, outcome: Outcome, finding: Finding, *, to_student: bool
) -> tuple[EmailRole, dict]:
    """The email (one per outcome) that says exactly what happened, and what it needs."""
    if outcome.state in MessageState.became_interest():
        interest = message.interest
        counted = interest.verified_at is not None
        confirm = application_links.confirm_url(interest) if to_student and not counted else ""
        context = {
            "mi": message.micro_internship,
            "counted": counted,
            "confirm_url": confirm,
            "link_sent_elsewhere": not counted and not confirm,
        }
        if outcome.state == MessageState.INTEREST_UPDATED:
            return EmailRole.INBOUND_ACK_ADDED, context
        if finding.length:
            return EmailRole.INBOUND_ACK_OVER_LIMIT, {**context, "length": finding.length}
        if counted:
            return EmailRole.INBOUND_ACK_COUNTED, context
        return EmailRole.INBOUND_ACK_CONFIRM, context
    if finding.found == Found.NOT_OPEN:
        mi = message.micro_internship
        public = mi.state in MicroInternshipState.public()
        return EmailRole.INBOUND_ACK_NOT_OPEN, {
            "reference": mi.reference,
            "mi": mi if public else None,
            "why": finding.why,
            "opens_at": mi.interest_opens_at if finding.why == NotOpen.NOT_YET else None,
            "open_now": open_now(),
        }
    if finding.found == Found.UNKNOWN_CODE:
        return EmailRole.INBOUND_ACK_UNKNOWN_CODE, {
            "reference": finding.detail,
            "open_now": open_now(),
        }
    return EmailRole.INBOUND_ACKNOWLEDGEMENT, {
        "reason": finding.detail or "it needs a person to read it"
    }


def open_now() -> str:
    """The micro-internships open for interest now, one a line, soonest first."""
    rows = open_for_interest().order_by("starts_at", "reference")[:OPEN_NOW_SHOWN]
    return "\n".join(
        f"- {mi.title} ({mi.reference}), {date_format(localtime(mi.starts_at), 'l j F Y')}"
        for mi in rows
    )


def held_interest_emails(message: InboundMessage) -> list[int]:
    """The outbox rows held back while the message's interest was recorded (drafts)."""
    if not message.interest_id:
        return []
    return list(
        OutboundMessage.objects.filter(
            about_type=ContentType.objects.get_for_model(ExpressionOfInterest),
            about_id=str(message.interest_id),
            state=OutboxState.DRAFT,
        ).values_list("pk", flat=True)
    )


def check_token(message: InboundMessage) -> str:
    return signing.dumps({"m": message.pk}, salt=CHECK_SALT)


def check_url(message: InboundMessage) -> str:
    return application_links.absolute(reverse("inbound:check", args=[check_token(message)]))


class Understood(StrEnum):
    """What the check page says happened to a message, from what its row records now."""

    COUNTED = "counted"
    NOT_COUNTED_YET = "not_counted_yet"
    DISCARDED = "discarded"
    MATCHED_NOT_RECORDED = "matched_not_recorded"
    NO_MICRO_INTERNSHIP = "no_micro_internship"
    DIFFERS_FROM_EARLIER = "differs_from_earlier"
    NO_STUDENT = "no_student"
    SET_ASIDE = "set_aside"
    QUARANTINED = "quarantined"
    NOT_READ_YET = "not_read_yet"


def understood(message: InboundMessage) -> Understood:
    """What the check page tells the sender, true for every outcome of processing (and for
    what staff or the sender did since): an interest recorded (counting, waiting for the
    confirm link, or discarded), or nothing recorded and what was (not) matched."""
    if message.became_interest:
        interest = message.interest
        if interest.discarded_at is not None:
            return Understood.DISCARDED
        return Understood.COUNTED if interest.verified_at else Understood.NOT_COUNTED_YET
    if message.state == MessageState.SET_ASIDE:
        return Understood.SET_ASIDE
    if message.state == MessageState.QUARANTINED:
        return Understood.QUARANTINED
    if message.state == MessageState.STORED:
        return Understood.NOT_READ_YET
    if message.conflicts_with_id:
        return Understood.DIFFERS_FROM_EARLIER
    if message.student_id is None:
        return Understood.NO_STUDENT
    if message.micro_internship_id is None:
        return Understood.NO_MICRO_INTERNSHIP
    return Understood.MATCHED_NOT_RECORDED


def message_from_check_token(token: str) -> InboundMessage | None:
    try:
        data = signing.loads(token, salt=CHECK_SALT, max_age=CHECK_MAX_AGE)
    except signing.BadSignature:
        return None
    return InboundMessage.objects.filter(pk=data.get("m")).first()
