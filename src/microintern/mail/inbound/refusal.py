"""Inbound email: tell a person whose message we refused to open what to send instead.

A message quarantined for its size or its structure (too large, too many parts, nested too
deeply) may well be a student's expression of interest with a large attachment. When the
message's headers could be read safely and the decision table for automatic replies
(`replies.auto_reply_decision`, written out in docs/email-intake.md: a person on record, a
real envelope sender, not ours, not spam, not forged) allows it, the sender gets one short,
true answer: we did not read it, and how to send it so that we can. Never to a message whose
headers themselves were refused.
"""

from datetime import timedelta

from django.utils import timezone

from microintern.accounts.models import Student
from microintern.mail import outbox
from microintern.mail.enums import EmailRole
from microintern.mail.models import OutboundMessage

from .acknowledge import ACK_ROLES
from .addresses import envelope_sender
from .classify import DEFAULT_LOOP_HEADER, classify
from .config import inbound_setting
from .enums import MessageKind, MessageState, ReasonCode
from .lifecycle import Outcome
from .models import InboundMessage
from .parse import DEFAULT_LIMITS, ParsedMessage, parse_message
from .replies import auto_reply_decision
from .store import HEADER_KEEP_BYTES, header_block, human_size

REFUSAL_ROLE = EmailRole.INBOUND_REFUSED


def quarantine(
    message: InboundMessage, code: str, reason: str, *, own: set[str], raw: bytes | None = None
) -> Outcome:
    """Where a message we refused to open goes (quarantined, with its reason code), after
    answering its sender when we may (see the module docstring). Side effects: the subject
    and addresses read from its headers, when they could be read safely; maybe one outbox row
    (once per message); the message's `acknowledgement_note` (all saved with the message).
    `raw`: the message's bytes when the caller has them already."""
    parsed = _headers(message if raw is None else raw) if code in ReasonCode.answerable() else None
    if parsed is None:
        note = "Not answered: its headers could not be read safely."
    else:
        message.subject = parsed.subject[:500]
        message.from_address = (parsed.sender or "")[:320]
        message.envelope_sender = (parsed.return_path or "")[:320]
        note = answer_refused(message, parsed, code, own=own)
    message.acknowledgement_note = note[:300]
    return Outcome(MessageState.QUARANTINED, reason, code=code)


def _headers(message: InboundMessage | bytes) -> ParsedMessage | None:
    """The message's header block parsed on its own (with an empty body), or None."""
    raw = message if isinstance(message, bytes) else message.raw
    head = header_block(bytes(raw[: HEADER_KEEP_BYTES + 4]))
    parsed = parse_message(head + b"\r\n\r\n")
    return parsed if isinstance(parsed, ParsedMessage) else None


def answer_refused(
    message: InboundMessage, parsed: ParsedMessage, code: str, *, own: set[str]
) -> str:
    """Queue the answer to a refused message's sender if we may; return the note for staff.
    Side effects: the message's class, read from its headers (unsaved); maybe one outbox
    row."""
    classification = classify(
        parsed, own_addresses=own, own_loop_header_value=inbound_setting("LOOP_VALUE")
    )
    message.kind = MessageKind(classification.kind.value)
    message.kind_reason = f"From its headers only: {classification.reason}"
    envelope = envelope_sender(parsed)
    allowed, why = auto_reply_decision(
        parsed,
        classification,
        own_addresses=own,
        envelope_sender=envelope,
        trusted_authserv_id=inbound_setting("TRUSTED_AUTHSERV_ID"),
        sender_on_record=bool(parsed.sender)
        and Student.objects.filter(email__iexact=parsed.sender).exists(),
    )
    if not allowed:
        return f"Not answered: {why}."
    sent_today = OutboundMessage.objects.filter(
        role__in=ACK_ROLES, to__iexact=envelope, created_at__gte=timezone.now() - timedelta(days=1)
    ).count()
    if sent_today >= inbound_setting("ACK_PER_ADDRESS_PER_DAY"):
        return f"Not answered: daily limit reached for {envelope}."
    headers = {"Auto-Submitted": "auto-replied", DEFAULT_LOOP_HEADER: inbound_setting("LOOP_VALUE")}
    if parsed.message_id:
        headers["In-Reply-To"] = parsed.message_id
        headers["References"] = " ".join([*parsed.references, parsed.message_id])[-900:]
    outbox.queue_email(
        REFUSAL_ROLE,
        to=envelope,
        context={
            "subject": parsed.subject,
            "too_large": code == ReasonCode.TOO_LARGE,
            "size": human_size(message.size),
            "limit": human_size(DEFAULT_LIMITS.max_total_bytes),
        },
        about=message,
        dedupe_key=f"inbound-refused:{message.pk}",
        headers=headers,
    )
    return f"Told {envelope} we could not open it and what to send instead."
