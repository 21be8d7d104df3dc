"""Inbound email, step 6: acknowledge human mail once, without backscatter.

An acknowledgement (RFC 3834: Auto-Submitted, our loop header, threaded) goes only where
`classify.auto_reply_decision` allows it (human mail, a real envelope sender that is not
ours, not marked as spam, not forged), at most ACK_PER_ADDRESS_PER_DAY to one address and
once per message. Its link leads to a page where the sender can say we got it wrong.
"""

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db.models import Count
from django.db.models.functions import Lower
from django.urls import reverse

from microintern.applications import links as application_links
from microintern.applications.models import ExpressionOfInterest
from microintern.mail import outbox
from microintern.mail.enums import MessageState as OutboxState
from microintern.mail.models import OutboundMessage

from .addresses import SenderLookup, envelope_sender
from .classify import DEFAULT_LOOP_HEADER, Classification, auto_reply_decision
from .config import inbound_setting
from .enums import MessageState
from .interpret import normalise_address
from .lifecycle import Outcome
from .models import InboundMessage
from .parse import ParsedMessage

ACK_ROLE = "inbound_acknowledgement"
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
                    role=ACK_ROLE, created_at__gte=self.now - timedelta(days=1)
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
    *,
    own: set[str],
    senders: SenderLookup,
    acks: AckCounts,
) -> None:
    """Acknowledge human mail once, to the envelope sender, with RFC 3834 headers.

    Rules: only when `auto_reply_decision` allows it (human, a real envelope sender, not us);
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
        interest = message.interest if outcome.state == MessageState.INTEREST_CREATED else None
        # Replying to an envelope sender that is not the From address must not tell them what
        # we know about the From address (is it a student's? did they express interest?).
        neutral = envelope != normalise_address(parsed.from_address or "") and not to_student
        outbox.queue_email(
            ACK_ROLE,
            to=envelope,
            context={
                "subject": parsed.subject,
                "outcome": "neutral" if neutral else outcome.state.value,
                "mi": message.micro_internship,
                "interest": interest,
                "confirm_url": (
                    application_links.confirm_url(interest)
                    if interest and to_student and not interest.verified_at
                    else ""
                ),
                "check_url": "" if neutral else check_url(message),
            },
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


def message_from_check_token(token: str) -> InboundMessage | None:
    try:
        data = signing.loads(token, salt=CHECK_SALT, max_age=CHECK_MAX_AGE)
    except signing.BadSignature:
        return None
    return InboundMessage.objects.filter(pk=data.get("m")).first()
