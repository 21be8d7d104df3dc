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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from microintern.accounts.models import Student
from microintern.applications import links as application_links
from microintern.applications.domain import InterestRefused, record_interest, verify_interest
from microintern.applications.enums import Source as InterestSource
from microintern.applications.models import ExpressionOfInterest
from microintern.applications.notifications import holding_emails
from microintern.core.domain import activity_entry, log_activities, log_activity, update_rows
from microintern.mail import outbox
from microintern.mail.enums import MessageState as OutboxState
from microintern.mail.models import OutboundMessage
from microintern.programme.models import MicroInternship
from microintern.programme.queries import open_for_interest

from . import (
    DEFAULT_LOOP_HEADER,
    Classification,
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


@dataclass(frozen=True)
class Incoming:
    """One message as received: its exact bytes and where they came from."""

    raw: bytes
    mailbox: Mailbox | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    origin: str = ""
    received_at: datetime | None = None


def dedupe_key(channel: str, message_id: str | None, sha256: str) -> str:
    if message_id:
        return f"{channel}:mid:{message_id}"
    return f"{channel}:sha:{sha256}"


def _identity(item: Incoming) -> tuple[str, str, str]:
    """(SHA-256, Message-ID, dedupe key) of a message."""
    sha256 = hashlib.sha256(item.raw).hexdigest()
    message_id = (extract_message_id(item.raw) or "")[:1000]
    channel = f"mailbox-{item.mailbox.pk}" if item.mailbox else "import"
    return sha256, message_id, dedupe_key(channel, message_id, sha256)


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
    return store_messages([Incoming(raw, mailbox, uidvalidity, uid, origin, received_at)])[0]


def store_messages(items: Sequence[Incoming]) -> list[Stored]:
    """Keep many messages exactly as received, each once: `store_message` for a batch.

    Rules: those of `store_message`, message by message. New messages are inserted together
    (one statement for the rows, one for their `inbound.stored` logs) in one transaction,
    committed before anything reads them; a message stored before returns its row; anything
    unusual (the same key twice in the batch, the same Message-ID with other bytes, a row
    stored meanwhile by another process) is stored on its own. Returns one `Stored` per item,
    in order.
    """
    identities = [_identity(item) for item in items]
    known = {
        row.dedupe_key: row
        for row in InboundMessage.objects.filter(dedupe_key__in={key for *_, key in identities})
        .defer("raw")
        .order_by()
    }
    results: list[Stored | None] = [None] * len(items)
    fresh: dict[str, int] = {}
    for index, (sha256, _message_id, key) in enumerate(identities):
        row = known.get(key)
        if row is not None and row.sha256 == sha256:
            results[index] = Stored(row, False)
        elif row is None and key not in fresh:
            fresh[key] = index
    if fresh:
        rows = [_new_row(items[index], *identities[index]) for index in fresh.values()]
        try:
            with transaction.atomic():
                InboundMessage.objects.bulk_create(rows)
                log_activities(
                    [
                        activity_entry(
                            row,
                            "inbound.stored",
                            sha256=row.sha256,
                            size=row.size,
                            conflicts_with=None,
                        )
                        for row in rows
                    ]
                )
        except IntegrityError:
            pass  # another process stored one of them meanwhile: each on its own, below
        else:
            for index, row in zip(fresh.values(), rows, strict=True):
                results[index] = Stored(row, True)
                logger.info("Stored inbound message #%s (%s bytes)", row.pk, row.size)
    return [
        stored if stored is not None else _store_one(item)
        for stored, item in zip(results, items, strict=True)
    ]


def _new_row(
    item: Incoming, sha256: str, message_id: str, key: str, conflicts_with=None
) -> InboundMessage:
    return InboundMessage(
        dedupe_key=key,
        source=Source.IMAP if item.mailbox else Source.IMPORT,
        mailbox=item.mailbox,
        origin=item.origin[:500],
        uidvalidity=item.uidvalidity,
        uid=item.uid,
        raw=item.raw,
        sha256=sha256,
        size=len(item.raw),
        message_id=message_id,
        received_at=item.received_at or timezone.now(),
        conflicts_with=conflicts_with,
    )


def _store_one(item: Incoming) -> Stored:
    sha256, message_id, key = _identity(item)
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
            message = _new_row(item, sha256, message_id, key, conflicts_with)
            message.save()
            log_activity(
                message,
                "inbound.stored",
                sha256=sha256,
                size=message.size,
                conflicts_with=conflicts_with.pk if conflicts_with else None,
            )
    except IntegrityError:
        # Stored at the same moment by another process (or the same UID under another key).
        existing = _one(InboundMessage.objects.filter(dedupe_key=key).defer("raw"))
        if existing is None and item.mailbox is not None and item.uid is not None:
            existing = InboundMessage.objects.filter(
                mailbox=item.mailbox, uidvalidity=item.uidvalidity, uid=item.uid
            ).first()
        if existing is None:
            raise
        return Stored(existing, False)
    logger.info("Stored inbound message #%s (%s bytes)", message.pk, message.size)
    return Stored(message, True)


# ------------------------------------------------------------------------------------------
# 2–6. Process

# Messages stored, then processed, together in one transaction each (by pollers, imports and
# process_pending), and at most this many bytes of them at once.
BATCH_SIZE = 50
BATCH_BYTES = 20 * 1024 * 1024

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
REOPENABLE = (MessageState.TRIAGE, MessageState.SET_ASIDE, MessageState.QUARANTINED)
T = TypeVar("T")


def _raw_size(item: Incoming) -> int:
    return len(item.raw)


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


def batches(items: Iterable[T], *, size_of: Callable[[T], int] = _raw_size) -> Iterator[list[T]]:
    """Group messages (or IMAP UIDs) for `store_messages` and `process_messages`: at most
    BATCH_SIZE of them and, unless one is larger on its own, BATCH_BYTES by `size_of` (so
    memory stays bounded whatever the mailbox holds)."""
    batch: list[T] = []
    held = 0
    for item in items:
        size = size_of(item)
        if batch and (len(batch) >= BATCH_SIZE or held + size > BATCH_BYTES):
            yield batch
            batch, held = [], 0
        batch.append(item)
        held += size
    if batch:
        yield batch


def process_pending(limit: int | None = None) -> int:
    """Process every message still only stored (e.g. after an import or a killed poller)."""
    pending = InboundMessage.objects.filter(state=MessageState.STORED).order_by("pk")
    pks = list(pending.values_list("pk", flat=True))[:limit]
    for start in range(0, len(pks), BATCH_SIZE):
        process_messages(pks[start : start + BATCH_SIZE])
    return len(pks)


def process_message(message_id: int, *, again: bool = False, actor=None) -> MessageState | None:
    """Take one stored message through the pipeline (see the module docstring).

    Rules: a message is processed once; only `again` (staff: "process again") reopens one
    already in triage, set aside or quarantined — never one that became an interest. The row
    is locked while it is processed, so two pollers cannot both act on it. Side effects: the
    message's state and reason, logs per step, maybe an interest, maybe one acknowledgement.
    Never raises: an unexpected error sends the message to triage with the error.
    """
    return process_messages([message_id], again=again, actor=actor).get(message_id)


def process_messages(message_ids, *, again: bool = False, actor=None) -> dict[int, MessageState]:
    """Take stored messages through the pipeline together: `process_message` for a batch.

    Rules: those of `process_message`, message by message in the order they were stored,
    in one transaction with every row locked. What all of them need (our own addresses,
    the senders' student records, acknowledgements already sent) is read once, and their
    new states and logs are written together. If anything unexpected fails, nothing of the
    batch is kept and each message is processed on its own, so an error sends only its own
    message to triage. Returns the state of every message found. Never raises.
    """
    ids = list(dict.fromkeys(message_ids))
    try:
        with transaction.atomic():
            return _process_batch(ids, again=again, actor=actor)
    except Exception as error:  # noqa: BLE001 - a message must never be lost to a bug
        if len(ids) > 1:
            logger.warning(
                "Processing %s messages together failed (%r): one by one", len(ids), error
            )
            results: dict[int, MessageState] = {}
            for message_id in ids:
                results.update(process_messages([message_id], again=again, actor=actor))
            return results
        logger.exception("Processing inbound message #%s failed", ids[0])
        with transaction.atomic():
            message = InboundMessage.objects.select_for_update().get(pk=ids[0])
            message.parse_error = f"{type(error).__name__}: {str(error)[:500]}"
            _finish(
                message,
                Outcome(
                    MessageState.TRIAGE,
                    f"Processing failed ({type(error).__name__}); please read it yourself.",
                ),
                actor=actor,
            )
        return {ids[0]: MessageState.TRIAGE}


def _process_batch(ids: list[int], *, again: bool, actor) -> dict[int, MessageState]:
    batch = _Batch(actor=actor)
    results: dict[int, MessageState] = {}
    readings = []
    for message in InboundMessage.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if message.state != MessageState.STORED:
            if not (again and message.state in REOPENABLE):
                results[message.pk] = MessageState(message.state)
                continue
            batch.log(message, "inbound.reprocess", was=message.state)
        message.attempts += 1
        readings.append((message, _read(message, batch)))
    batch.prepare(
        [(message, reading[0]) for message, reading in readings if isinstance(reading, tuple)]
    )
    for message, reading in readings:
        if isinstance(reading, Outcome):
            outcome = reading
        else:
            parsed, classification = reading
            outcome = _understand(message, parsed, classification, batch)
        batch.finish(message, outcome)
        results[message.pk] = outcome.state
    batch.write()
    return results


class _Batch:
    """What processing a batch of messages reads once and writes together.

    Look-ups not made in advance (a single message, staff actions) are made when first
    needed and remembered for the rest of the batch.
    """

    def __init__(self, *, actor=None) -> None:
        self.actor = actor
        self.now = timezone.now()
        self.entries = []
        self.finished: list[InboundMessage] = []
        self._students: dict[str, Student | None] = {}
        self._personal: dict[str, PersonalAddress | None] = {}
        self._acks: dict[str, int] = {}
        self._micro_internships: dict[str, MicroInternship | None] = {}
        self._open: list[MicroInternship] | None = None
        self._seen_sha: dict[str, list[int]] = {}
        self._twins: dict[str, list[int]] = {}

    @cached_property
    def own(self) -> set[str]:
        return own_addresses()

    def prepare(self, human: list[tuple[InboundMessage, ParsedMessage]]) -> None:
        """Read in advance what interpreting the human messages of the batch needs."""
        self.look_up_senders([parsed for _message, parsed in human])
        self.look_up_twins([message for message, _parsed in human])

    def log(self, subject, action: str, **data) -> None:
        self.entries.append(activity_entry(subject, action, actor=self.actor, **data))

    def finish(self, message: InboundMessage, outcome: Outcome) -> None:
        self.entries.append(_settle(message, outcome, actor=self.actor))
        self.finished.append(message)
        self._seen_sha.setdefault(message.sha256, []).append(message.pk)

    def write(self) -> None:
        update_rows(self.finished, PROCESSING_FIELDS)
        log_activities(self.entries)

    # Senders -----------------------------------------------------------------------------

    def look_up_senders(self, messages: list[ParsedMessage]) -> None:
        """Read the student records and confirmed personal addresses of every sender and
        envelope sender, and the acknowledgements sent to them today, in three queries."""
        senders = {_single_sender(parsed) for parsed in messages} - {None}
        envelopes = {_envelope(parsed) for parsed in messages} - {None, ""}
        university = {address for address in senders if _is_university(address)}
        self._load_students(university)
        self._load_personal((senders - university) | envelopes)
        self._load_acks(envelopes)

    def _load_students(self, addresses: set[str]) -> None:
        wanted = addresses - self._students.keys()
        if wanted:
            self._students.update(dict.fromkeys(wanted))
            found = (
                Student.objects.annotate(lowered_email=Lower("email"))
                .filter(lowered_email__in=wanted)
                .order_by("-pk")
            )
            self._students.update({student.lowered_email: student for student in found})

    def _load_personal(self, addresses: set[str]) -> None:
        wanted = addresses - self._personal.keys()
        if wanted:
            self._personal.update(dict.fromkeys(wanted))
            confirmed = (
                PersonalAddress.objects.annotate(lowered_address=Lower("address"))
                .filter(lowered_address__in=wanted, confirmed_at__isnull=False)
                .select_related("student")
            )
            self._personal.update({row.lowered_address: row for row in confirmed})

    def _load_acks(self, addresses: set[str]) -> None:
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

    def student_for(self, parsed: ParsedMessage) -> Student | None:
        """The student who sent the message: exactly one From address, which is a student's
        university address on record or a personal address the student has confirmed."""
        address = _single_sender(parsed)
        if address is None:
            return None
        if _is_university(address):
            self._load_students({address})
            return self._students[address]
        self._load_personal({address})
        personal = self._personal[address]
        return personal.student if personal else None

    def confirmed_by(self, address: str, student: Student) -> bool:
        """Has `student` confirmed `address` as their personal address?"""
        self._load_personal({address})
        personal = self._personal[address]
        return personal is not None and personal.student_id == student.pk

    def acks_today(self, address: str) -> int:
        self._load_acks({address})
        return self._acks[address]

    def acknowledged(self, address: str) -> None:
        self._acks[address] = self.acks_today(address) + 1

    # Micro-internships and duplicates ----------------------------------------------------

    def micro_internship(self, code: str) -> MicroInternship | None:
        key = code.upper()
        if key not in self._micro_internships:
            self._micro_internships[key] = MicroInternship.objects.filter(
                reference__iexact=code
            ).first()
        return self._micro_internships[key]

    def open_for_interest(self) -> list[MicroInternship]:
        if self._open is None:
            self._open = list(open_for_interest()[:2])
        return self._open

    def look_up_twins(self, messages: list[InboundMessage]) -> None:
        """Find earlier, processed messages with the same bytes as any of `messages`."""
        shas = {message.sha256 for message in messages} - set(self._twins)
        self._twins.update({sha: [] for sha in shas})
        processed = (
            InboundMessage.objects.filter(sha256__in=shas)
            .exclude(state=MessageState.STORED)
            .order_by()
            .values_list("sha256", "pk")
        )
        for sha, pk in processed:
            self._twins[sha].append(pk)

    def twin_of(self, message: InboundMessage) -> int | None:
        """An earlier message with the same bytes, processed already (through another
        mailbox or an import, or earlier in this batch)."""
        if message.sha256 not in self._twins:
            self.look_up_twins([message])
        earlier = [*self._twins[message.sha256], *self._seen_sha.get(message.sha256, ())]
        return min((pk for pk in earlier if pk != message.pk), default=None)


def _is_university(address: str) -> bool:
    return is_university_address(address, settings.MICROINTERN["UNIVERSITY_EMAIL_DOMAINS"])


def _single_sender(parsed: ParsedMessage) -> str | None:
    if len(parsed.from_addresses) != 1:
        return None
    return normalise_address(parsed.from_addresses[0]) or None


def _envelope(parsed: ParsedMessage) -> str | None:
    """The envelope sender (Return-Path): None when absent or null."""
    return normalise_address(parsed.return_path) if parsed.return_path else None


def _settle(message: InboundMessage, outcome: Outcome, *, actor=None):
    """Give the message its final state (not yet saved); return the log entry saying so."""
    message.state = outcome.state
    message.reason = outcome.reason
    message.processed_at = timezone.now()
    logger.info("Inbound message #%s: %s (%s)", message.pk, outcome.state, outcome.reason)
    return activity_entry(
        message, f"inbound.{outcome.state}", actor=actor, reason=outcome.reason, kind=message.kind
    )


def _finish(message: InboundMessage, outcome: Outcome, *, actor=None) -> None:
    entry = _settle(message, outcome, actor=actor)
    message.save(update_fields=PROCESSING_FIELDS)
    entry.save()


def _read(message: InboundMessage, batch: _Batch) -> Outcome | tuple[ParsedMessage, Classification]:
    """Parse and classify: an outcome already (quarantined, unreadable, not human mail),
    or the parsed human message and its classification."""
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
    result = classify(
        parsed,
        own_addresses=batch.own,
        own_loop_header_value=inbound_setting("LOOP_VALUE"),
    )
    message.kind = MessageKind(result.kind.value)
    message.kind_reason = result.reason
    batch.log(message, "inbound.classified", kind=result.kind.value, reason=result.reason)
    if result.kind is not Kind.HUMAN:
        return Outcome(MessageState.SET_ASIDE, f"{message.get_kind_display()}: {result.reason}")
    return parsed, result


def _understand(
    message: InboundMessage, parsed: ParsedMessage, classification, batch: _Batch
) -> Outcome:
    twin = batch.twin_of(message)
    if twin is not None:  # the same bytes through another mailbox or an import: done already
        return Outcome(
            MessageState.SET_ASIDE, f"Duplicate: the same message arrived before as #{twin}."
        )
    outcome = _interpret(message, parsed, batch)
    _acknowledge(message, parsed, classification, batch, outcome)
    return outcome


def _interpret(message: InboundMessage, parsed: ParsedMessage, batch: _Batch) -> Outcome:
    if message.conflicts_with_id:
        return Outcome(
            MessageState.TRIAGE,
            f"Same Message-ID as message #{message.conflicts_with_id} but different content: "
            "please compare them.",
        )
    student = batch.student_for(parsed)
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
    mi, problem = find_micro_internship(parsed, batch)
    message.micro_internship = mi
    if mi is None:
        return Outcome(MessageState.TRIAGE, problem)
    statement = extract_statement(parsed, word_limit=settings.MICROINTERN["STATEMENT_WORD_LIMIT"])
    message.statement_over_limit = statement.over_limit
    return record_emailed_interest(message, student, mi, statement.text, actor=batch.actor)


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


def find_micro_internship(
    parsed: ParsedMessage, batch: _Batch | None = None
) -> tuple[MicroInternship | None, str]:
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
    batch = batch or _Batch()
    if codes:
        mi = batch.micro_internship(codes[0])
        if mi is None:
            return None, f"The reference code {codes[0]} matches no micro-internship."
        return mi, ""
    candidates = batch.open_for_interest()
    if len(candidates) == 1:
        mi = candidates[0]
        text = f"{parsed.subject}\n{parsed.body_text}".casefold()
        names = [mi.title, mi.challenge.organisation.name]
        if any(name and name.casefold() in text for name in names):
            return mi, ""
    return None, "No reference code (such as MI-2026-007) in the subject or the message."


# ------------------------------------------------------------------------------------------
# Acknowledgement


def _acknowledge(message, parsed, classification, batch: _Batch, outcome: Outcome) -> None:
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
    envelope = _envelope(parsed)
    allowed, why = auto_reply_decision(
        parsed,
        classification,
        own_addresses=batch.own,
        envelope_sender=envelope,
        trusted_authserv_id=inbound_setting("TRUSTED_AUTHSERV_ID"),
    )
    # Only recording an interest holds emails (its own acknowledgement, see below).
    held = _held_interest_emails(message) if outcome.state == MessageState.INTEREST_CREATED else []
    student = message.student
    to_student = (
        envelope is not None
        and student is not None
        and (envelope == student.email.lower() or batch.confirmed_by(envelope, student))
    )
    if not allowed:
        message.acknowledgement_note = f"Not acknowledged: {why}."[:300]
    elif batch.acks_today(envelope) >= inbound_setting("ACK_PER_ADDRESS_PER_DAY"):
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
        batch.acknowledged(envelope)
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
