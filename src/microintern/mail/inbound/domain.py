"""Inbound email: store first, then process each message once. Every state change is here.

The pipeline for one message (`process_message`), each step logged on the message:
1. store: the bytes exactly as received (`store_message`, idempotent);
2. parse behind caps (oversize or hostile → quarantined, not opened);
3. classify (loop, bounce, auto-reply, bulk → set aside with the class; only human mail
   goes on);
4. interpret: sender → student, reference code → micro-internship;
5. record the interest through `applications.domain.record_interest` (source email), or
   send the message to triage with a reason for staff;
6. acknowledge human mail once (RFC 3834) to the envelope sender.
Every message ends in exactly one of: interest created/updated, triage, set aside,
quarantined. Nothing here raises to the caller: an unexpected error sends the message to
triage with the error.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.applications import links as application_links
from microintern.applications.domain import InterestRefused, record_interest, verify_interest
from microintern.applications.enums import Source as InterestSource
from microintern.applications.models import ExpressionOfInterest
from microintern.applications.notifications import holding_emails
from microintern.core.domain import log_activity
from microintern.mail import outbox
from microintern.mail.enums import MessageState as OutboxState
from microintern.mail.models import OutboundMessage
from microintern.programme.models import MicroInternship
from microintern.programme.queries import open_for_interest

from . import (
    DEFAULT_LOOP_HEADER,
    Kind,
    ParsedMessage,
    QuarantineCode,
    Quarantined,
    auto_reply_decision,
    classify,
    dmarc_pass_from_own_server,
    extract_message_id,
    extract_statement,
    find_reference_codes,
    is_university_address,
    normalise_address,
    parse_message,
)
from .enums import MessageKind, MessageState, Source
from .models import InboundMessage, Mailbox, PersonalAddress

logger = logging.getLogger(__name__)

ACK_ROLE = "inbound_acknowledgement"
CHECK_SALT = "inbound.check"
CHECK_MAX_AGE = timedelta(days=30)


def inbound_setting(name: str):
    return settings.MICROINTERN_INBOUND[name]


# ------------------------------------------------------------------------------------------
# 1. Store


def _one(queryset):
    """The first row or None, without `first()`'s ORDER BY (the model orders by date, which
    would make SQLite walk the date index instead of using the unique one)."""
    return next(iter(queryset.order_by()[:1]), None)


@dataclass(frozen=True)
class Stored:
    message: InboundMessage
    created: bool


def dedupe_key(channel: str, message_id: str | None, sha256: str) -> str:
    if message_id:
        return f"{channel}:mid:{message_id}"
    return f"{channel}:sha:{sha256}"


def store_message(
    raw: bytes,
    *,
    mailbox: Mailbox | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    origin: str = "",
    received_at: datetime | None = None,
) -> Stored:
    """Keep the bytes exactly as received, once.

    Rules: one row per (mailbox or "import", Message-ID), or per hash without a Message-ID,
    so storing the same message again returns the existing row. The same Message-ID with
    different bytes is stored as a second row flagged `conflicts_with` the first (and goes to
    triage when processed). Side effects: one row and `inbound.stored` logged, committed at
    once (store first: nothing later can lose it).
    """
    sha256 = hashlib.sha256(raw).hexdigest()
    message_id = (extract_message_id(raw) or "")[:1000]
    channel = f"mailbox-{mailbox.pk}" if mailbox else "import"
    key = dedupe_key(channel, message_id, sha256)
    conflicts_with = None
    existing = _one(InboundMessage.objects.filter(dedupe_key=key).defer("raw"))
    if existing is not None:
        if existing.sha256 == sha256:
            return Stored(existing, False)
        conflicts_with = existing
        key = f"{key}:sha:{sha256}"
        again = _one(InboundMessage.objects.filter(dedupe_key=key).defer("raw"))
        if again is not None:
            return Stored(again, False)
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                dedupe_key=key,
                source=Source.IMAP if mailbox else Source.IMPORT,
                mailbox=mailbox,
                origin=origin[:500],
                uidvalidity=uidvalidity,
                uid=uid,
                raw=raw,
                sha256=sha256,
                size=len(raw),
                message_id=message_id,
                received_at=received_at or timezone.now(),
                conflicts_with=conflicts_with,
            )
            log_activity(
                message,
                "inbound.stored",
                sha256=sha256,
                size=len(raw),
                conflicts_with=conflicts_with.pk if conflicts_with else None,
            )
    except IntegrityError:
        # Stored at the same moment by another process (or the same UID under another key).
        existing = _one(InboundMessage.objects.filter(dedupe_key=key).defer("raw"))
        if existing is None and mailbox is not None and uid is not None:
            existing = InboundMessage.objects.filter(
                mailbox=mailbox, uidvalidity=uidvalidity, uid=uid
            ).first()
        if existing is None:
            raise
        return Stored(existing, False)
    logger.info("Stored inbound message #%s (%s bytes)", message.pk, message.size)
    return Stored(message, True)


# ------------------------------------------------------------------------------------------
# 2–6. Process


# What processing writes (never the raw bytes: they are written once, when stored).
PROCESSING_FIELDS = [
    "state",
    "reason",
    "processed_at",
    "attempts",
    "parse_error",
    "subject",
    "from_address",
    "envelope_sender",
    "kind",
    "kind_reason",
    "student",
    "micro_internship",
    "interest",
    "statement_over_limit",
    "vouched_by_own_server",
    "acknowledgement_note",
]


@dataclass(frozen=True)
class Outcome:
    state: MessageState
    reason: str


def own_addresses() -> set[str]:
    addresses = {normalise_address(settings.DEFAULT_FROM_EMAIL)}
    addresses.update(normalise_address(a) for a in inbound_setting("OWN_ADDRESSES"))
    addresses.update(
        normalise_address(u) for u in Mailbox.objects.values_list("username", flat=True)
    )
    return {a for a in addresses if a}


def process_pending(limit: int | None = None) -> int:
    """Process every message still only stored (e.g. after an import or a killed poller)."""
    pending = InboundMessage.objects.filter(state=MessageState.STORED).order_by("pk")
    pks = list(pending.values_list("pk", flat=True))[:limit]
    for pk in pks:
        process_message(pk)
    return len(pks)


def process_message(message_id: int, *, again: bool = False, actor=None) -> MessageState | None:
    """Take one stored message through the pipeline (see the module docstring).

    Rules: a message is processed once; only `again` (staff: "process again") reopens one
    already in triage, set aside or quarantined — never one that became an interest. The row
    is locked while it is processed, so two pollers cannot both act on it. Side effects: the
    message's state and reason, logs per step, maybe an interest, maybe one acknowledgement.
    Never raises: an unexpected error sends the message to triage with the error.
    """
    try:
        with transaction.atomic():
            message = _one(InboundMessage.objects.select_for_update().filter(pk=message_id))
            if message is None:
                return None
            if message.state != MessageState.STORED:
                reopenable = message.state in (
                    MessageState.TRIAGE,
                    MessageState.SET_ASIDE,
                    MessageState.QUARANTINED,
                )
                if not (again and reopenable):
                    return MessageState(message.state)
                log_activity(message, "inbound.reprocess", actor=actor, was=message.state)
            message.attempts += 1
            outcome = _process(message, actor=actor)
            _finish(message, outcome, actor=actor)
            return outcome.state
    except Exception as error:  # noqa: BLE001 - a message must never be lost to a bug
        logger.exception("Processing inbound message #%s failed", message_id)
        with transaction.atomic():
            message = InboundMessage.objects.select_for_update().get(pk=message_id)
            message.parse_error = f"{type(error).__name__}: {str(error)[:500]}"
            _finish(
                message,
                Outcome(
                    MessageState.TRIAGE,
                    f"Processing failed ({type(error).__name__}); please read it yourself.",
                ),
                actor=actor,
            )
        return MessageState.TRIAGE


def _finish(message: InboundMessage, outcome: Outcome, *, actor=None) -> None:
    message.state = outcome.state
    message.reason = outcome.reason
    message.processed_at = timezone.now()
    message.save(update_fields=PROCESSING_FIELDS)
    log_activity(
        message, f"inbound.{outcome.state}", actor=actor, reason=outcome.reason, kind=message.kind
    )
    logger.info("Inbound message #%s: %s (%s)", message.pk, outcome.state, outcome.reason)


def _process(message: InboundMessage, *, actor=None) -> Outcome:
    parsed = parse_message(message.raw_bytes)
    if isinstance(parsed, Quarantined):
        message.parse_error = parsed.reason
        if parsed.code == QuarantineCode.UNPARSEABLE:  # not hostile, just not understood
            return Outcome(MessageState.TRIAGE, parsed.reason)
        return Outcome(MessageState.QUARANTINED, parsed.reason)
    message.parse_error = ""
    message.subject = parsed.subject[:500]
    message.from_address = (parsed.from_address or "")[:320]
    message.envelope_sender = (parsed.return_path or "")[:320]
    own = own_addresses()
    result = classify(
        parsed,
        own_addresses=own,
        own_loop_header_value=inbound_setting("LOOP_VALUE"),
    )
    message.kind = MessageKind(result.kind.value)
    message.kind_reason = result.reason
    log_activity(message, "inbound.classified", kind=result.kind.value, reason=result.reason)
    if result.kind is not Kind.HUMAN:
        return Outcome(MessageState.SET_ASIDE, f"{message.get_kind_display()}: {result.reason}")
    twin = min(
        InboundMessage.objects.filter(sha256=message.sha256)
        .exclude(pk=message.pk)
        .exclude(state=MessageState.STORED)
        .order_by()
        .values_list("pk", flat=True),
        default=None,
    )
    if twin is not None:  # the same bytes through another mailbox or an import: done already
        return Outcome(
            MessageState.SET_ASIDE, f"Duplicate: the same message arrived before as #{twin}."
        )
    outcome = _interpret(message, parsed, actor=actor)
    _acknowledge(message, parsed, result, own, outcome)
    return outcome


def _interpret(message: InboundMessage, parsed: ParsedMessage, *, actor=None) -> Outcome:
    if message.conflicts_with_id:
        return Outcome(
            MessageState.TRIAGE,
            f"Same Message-ID as message #{message.conflicts_with_id} but different content: "
            "please compare them.",
        )
    student = match_student(parsed)
    message.student = student
    message.vouched_by_own_server = dmarc_pass_from_own_server(
        parsed, inbound_setting("TRUSTED_AUTHSERV_ID")
    )
    if student is None:
        return Outcome(
            MessageState.TRIAGE,
            f"Unknown sender: {parsed.from_address or 'no From address'} is not a student's "
            "university address or a personal address a student has confirmed.",
        )
    mi, problem = find_micro_internship(parsed)
    message.micro_internship = mi
    if mi is None:
        return Outcome(MessageState.TRIAGE, problem)
    statement = extract_statement(parsed, word_limit=settings.MICROINTERN["STATEMENT_WORD_LIMIT"])
    message.statement_over_limit = statement.over_limit
    return record_emailed_interest(message, student, mi, statement.text, actor=actor)


def record_emailed_interest(
    message: InboundMessage, student: Student, mi: MicroInternship, statement: str, *, actor=None
) -> Outcome:
    """Turn a message into an interest for `student` in `mi` (also staff's "link" action).

    Rules: through `record_interest` with source email, received when our server received
    the message (IMAP INTERNALDATE) or, for imports, when it was stored; it counts
    at once only when our own mail server vouched for the sender, otherwise after the confirm
    link. A second message about the same interest is added to it (and may verify it).
    Side effects: those of `record_interest`; its own acknowledgement is held and released
    only when ours cannot carry the confirm link (see `_acknowledge`).
    """
    now = timezone.now()
    verified_at = now if message.vouched_by_own_server else None
    existing = ExpressionOfInterest.objects.filter(student=student, micro_internship=mi).first()
    if existing is not None:
        message.interest = existing
        log_activity(existing, "interest.repeated", actor=actor, source=InterestSource.EMAIL)
        if verified_at and not existing.verified_at:
            verify_interest(existing, how="dmarc", actor=actor, now=now)
        return Outcome(
            MessageState.INTEREST_UPDATED,
            f"{student.full_name} had already said they were interested in {mi.reference}; "
            "this message was added to that interest.",
        )
    try:
        with transaction.atomic(), holding_emails():
            interest = record_interest(
                student,
                mi,
                statement=statement,
                source=InterestSource.EMAIL,
                actor=actor,
                received_at=message.received_at,
                verified_at=verified_at,
            )
    except InterestRefused as refused:
        return Outcome(MessageState.TRIAGE, f"Interest not recorded: {refused}")
    message.interest = interest
    flagged = (
        " The statement is longer than the word limit (kept whole)."
        if (message.statement_over_limit or interest.statement_over_limit)
        else ""
    )
    counted = (
        "counts now (our mail server vouched for the sender)"
        if verified_at
        else ("counts once the student confirms their address")
    )
    return Outcome(
        MessageState.INTEREST_CREATED,
        f"Interest in {mi.reference} recorded for {student.full_name}; it {counted}.{flagged}",
    )


def match_student(parsed: ParsedMessage) -> Student | None:
    """The student who sent the message: exactly one From address, which is a student's
    university address on record or a personal address the student has confirmed."""
    if len(parsed.from_addresses) != 1:
        return None
    address = normalise_address(parsed.from_addresses[0])
    if not address:
        return None
    if is_university_address(address, settings.MICROINTERN["UNIVERSITY_EMAIL_DOMAINS"]):
        return Student.objects.filter(email__iexact=address).first()
    personal = (
        PersonalAddress.objects.filter(address__iexact=address, confirmed_at__isnull=False)
        .select_related("student")
        .first()
    )
    return personal.student if personal else None


def find_micro_internship(parsed: ParsedMessage) -> tuple[MicroInternship | None, str]:
    """The micro-internship a message is about, or None and the reason for staff.

    By reference code in the subject, else in the body; exactly one code must be found.
    Without a code: the only micro-internship open for interest, when the message names its
    title or its host organisation (so there is no doubt).
    """
    codes = find_reference_codes(parsed.subject, "") or find_reference_codes(
        "", parsed.body_trimmed or parsed.body_text
    )
    if len(codes) > 1:
        return None, f"More than one reference code ({', '.join(codes)}): which one is meant?"
    if codes:
        mi = MicroInternship.objects.filter(reference__iexact=codes[0]).first()
        if mi is None:
            return None, f"The reference code {codes[0]} matches no micro-internship."
        return mi, ""
    candidates = list(open_for_interest()[:2])
    if len(candidates) == 1:
        mi = candidates[0]
        text = f"{parsed.subject}\n{parsed.body_text}".casefold()
        names = [mi.title, mi.challenge.organisation.name]
        if any(name and name.casefold() in text for name in names):
            return mi, ""
    return None, "No reference code (such as MI-2026-007) in the subject or the message."


# ------------------------------------------------------------------------------------------
# Acknowledgement


def _acknowledge(message, parsed, classification, own, outcome: Outcome) -> None:
    """Acknowledge human mail once, to the envelope sender, with RFC 3834 headers.

    Rules: only when `auto_reply_decision` allows it (human, a real envelope sender, not us);
    at most ACK_PER_ADDRESS_PER_DAY to one address; one per message (the outbox's dedupe key).
    An envelope sender other than the From address gets a neutral reply (nothing about the
    From address's student record). The confirm link for a new interest goes only to the
    student's own address: when the
    envelope sender is that address it is in our acknowledgement and the interest's own
    acknowledgement is discarded; otherwise the interest's own email (to the address on
    record) is released as well.
    """
    envelope = normalise_address(parsed.return_path or "") if parsed.return_path else None
    allowed, why = auto_reply_decision(
        parsed, classification, own_addresses=own, envelope_sender=envelope
    )
    held = _held_interest_emails(message)
    student_address = message.student.email.lower() if message.student else None
    to_student = envelope is not None and (
        envelope == student_address
        or PersonalAddress.objects.filter(
            student=message.student, address__iexact=envelope, confirmed_at__isnull=False
        ).exists()
    )
    if not allowed:
        message.acknowledgement_note = f"Not acknowledged: {why}."[:300]
    elif _recent_acks(envelope) >= inbound_setting("ACK_PER_ADDRESS_PER_DAY"):
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
        message.acknowledgement_note = f"Acknowledged to {envelope}."[:300]
    if held:
        if to_student and message.acknowledgement_note.startswith("Acknowledged"):
            OutboundMessage.objects.filter(pk__in=held).delete()
        else:
            outbox.release_held(held, actor=None)


def _held_interest_emails(message) -> list[int]:
    if not message.interest_id:
        return []
    return list(
        OutboundMessage.objects.filter(
            about_type=ContentType.objects.get_for_model(ExpressionOfInterest),
            about_id=str(message.interest_id),
            state=OutboxState.DRAFT,
        ).values_list("pk", flat=True)
    )


def _recent_acks(address: str) -> int:
    return OutboundMessage.objects.filter(
        role=ACK_ROLE, to__iexact=address, created_at__gte=timezone.now() - timedelta(days=1)
    ).count()


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


# ------------------------------------------------------------------------------------------
# Staff and sender actions


def record_correction(message: InboundMessage, text: str) -> None:
    """The sender says we misunderstood (from the link in the acknowledgement).

    Rules: the note is kept and the message goes to triage for a person; an interest already
    recorded stays until staff decide. Side effects: logs `inbound.corrected`.
    """
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        locked.correction = text.strip()[:5000]
        locked.corrected_at = timezone.now()
        locked.state = MessageState.TRIAGE if not locked.interest_id else locked.state
        locked.reason = (
            f"The sender says we misunderstood: {locked.correction[:300]}"
            if not locked.interest_id
            else locked.reason
        )
        locked.save(update_fields=["correction", "corrected_at", "state", "reason"])
        log_activity(locked, "inbound.corrected", note=locked.correction[:1000])


def set_aside(message: InboundMessage, *, reason: str, actor) -> None:
    """Staff ignore a message with a reason (never one that became an interest).
    Side effects: state set aside, logs `inbound.set_aside`."""
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.interest_id and locked.state in (
            MessageState.INTEREST_CREATED,
            MessageState.INTEREST_UPDATED,
        ):
            raise ValueError("This message became an interest; withdraw the interest instead.")
        _finish(
            locked, Outcome(MessageState.SET_ASIDE, f"Set aside by staff: {reason}"), actor=actor
        )


def link_to_student(
    message: InboundMessage, *, student: Student, mi: MicroInternship, actor, remember_address=False
) -> Outcome:
    """Staff link a triaged message to a student and a micro-internship: the interest is
    recorded as if the message had been understood (not verified unless the student has shown
    the address is theirs). With `remember_address`, the sender's address is kept as a
    personal address of the student, to be confirmed by the student. Side effects: those of
    `record_emailed_interest`; logs `inbound.linked`."""
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.state in (MessageState.INTEREST_CREATED, MessageState.INTEREST_UPDATED):
            return Outcome(MessageState(locked.state), locked.reason)
        parsed = parse_message(locked.raw_bytes)
        text = extract_statement(parsed).text if isinstance(parsed, ParsedMessage) else ""
        locked.student = student
        locked.micro_internship = mi
        outcome = record_emailed_interest(locked, student, mi, text, actor=actor)
        if outcome.state == MessageState.INTEREST_CREATED:
            # The interest's own acknowledgement (with the confirm link) goes to the student.
            outbox.release_held(_held_interest_emails(locked), actor=actor)
        log_activity(locked, "inbound.linked", actor=actor, student=student.pk, mi=mi.reference)
        address = normalise_address(locked.from_address)
        if remember_address and address and address != student.email.lower():
            ask_to_confirm_address(student, address, actor=actor)
        _finish(locked, outcome, actor=actor)
        return outcome


ADDRESS_SALT = "inbound.personal-address"
ADDRESS_MAX_AGE = timedelta(days=14)


def ask_to_confirm_address(student: Student, address: str, *, actor=None) -> PersonalAddress:
    """Staff think `address` is the student's personal address: ask the student.

    Rules: the address is used for matching only once confirmed, and the question goes to
    the student's university address (so nobody can attach their own address to someone
    else's record by claiming to be them). An address already linked to another student is
    left alone. Side effects: a PersonalAddress row (unconfirmed), one email a day at most,
    logs `inbound.address_suggested`.
    """
    personal, _created = PersonalAddress.objects.get_or_create(
        address=address, defaults={"student": student, "created_by": actor}
    )
    if personal.student_id != student.pk or personal.confirmed_at:
        return personal
    token = signing.dumps({"p": personal.pk, "s": student.pk}, salt=ADDRESS_SALT)
    outbox.queue_email(
        "personal_address_confirm",
        to=student.email,
        context={
            "student": student,
            "address": address,
            "confirm_url": application_links.absolute(
                reverse("inbound:confirm_address", args=[token])
            ),
        },
        person=student,
        about=personal,
        dedupe_key=f"personal-address:{personal.pk}:{timezone.now():%Y-%m-%d}",
    )
    log_activity(personal, "inbound.address_suggested", actor=actor, student=student.pk)
    return personal


def confirm_address(token: str) -> PersonalAddress | None:
    """The student clicked the link sent to their university address: the personal address
    is theirs. Side effects: sets `confirmed_at` (once), logs `inbound.address_confirmed`.
    Returns None for a link that is not genuine, out of date, or for another student."""
    try:
        data = signing.loads(token, salt=ADDRESS_SALT, max_age=ADDRESS_MAX_AGE)
    except signing.BadSignature:
        return None
    personal = PersonalAddress.objects.filter(pk=data.get("p"), student_id=data.get("s")).first()
    if personal is not None and personal.confirmed_at is None:
        personal.confirmed_at = timezone.now()
        personal.save(update_fields=["confirmed_at"])
        log_activity(personal, "inbound.address_confirmed")
    return personal


STAFF_REPLY_ROLE = "inbound_staff_reply"


class ReplyRefused(ValueError):
    """The message has no address a reply could go to."""


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
