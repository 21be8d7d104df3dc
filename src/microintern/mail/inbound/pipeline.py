"""Inbound email, steps 2–6: process each stored message once, in batches.

The pipeline for one message (`process_message`), each step logged on the message:
1. store: the bytes exactly as received (`store.store_message`, idempotent), committed;
2. parse behind caps (oversize or hostile → quarantined, not opened);
3. classify (loop, bounce, auto-reply, bulk → set aside with the class; only human mail
   goes on);
4. interpret: sender → student (`addresses`), reference code → micro-internship;
5. record the interest through `applications.domain.record_interest` (source email), or
   send the message to triage with a reason for staff;
6. acknowledge human mail once (RFC 3834) to the envelope sender (`acknowledge`).
Every message ends in exactly one of: interest created/updated, triage, set aside,
quarantined (moved by `lifecycle`). Nothing here raises to the caller: an unexpected error
sends the message to triage with the error.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import cached_property

from microintern.accounts.models import Student
from microintern.applications.domain import (
    InterestRefused,
    count_words,
    record_interest,
    statement_character_limit,
    statement_word_limit,
)
from microintern.applications.enums import Source as InterestSource
from microintern.applications.models import ExpressionOfInterest
from microintern.applications.notifications import holding_emails
from microintern.core.domain import activity_entry, log_activity
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship
from microintern.programme.queries import open_for_interest

from . import lifecycle, refusal
from .acknowledge import AckCounts, Finding, Found, NotOpen, acknowledge
from .addresses import SenderLookup, envelope_sender, own_addresses, single_sender
from .classify import Classification, Kind, classify, dmarc_pass_from_own_server
from .config import inbound_setting
from .enums import MessageKind, MessageState, ReasonCode
from .interpret import extract_statement, find_choice, find_reference_codes
from .lifecycle import Outcome
from .models import InboundMessage
from .parse import ParsedMessage, QuarantineCode, Quarantined, parse_message
from .store import Incoming

logger = logging.getLogger(__name__)

# Messages stored, then processed, together in one transaction each (by pollers, imports and
# process_pending), and at most this many bytes of them at once.
BATCH_SIZE = 50
BATCH_BYTES = 20 * 1024 * 1024
T = TypeVar("T")


def _raw_size(item: Incoming) -> int:
    return len(item.raw)


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
    item = None  # only the batch holds the last one (the consumer may let it go)
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
        return {ids[0]: _triage_after_error(ids[0], error, actor=actor)}


def _triage_after_error(message_id: int, error: Exception, *, actor) -> MessageState:
    """Send a message whose processing failed to a person, with the error (unless it became
    an interest meanwhile: that stays)."""
    with transaction.atomic():
        message = lifecycle.lock_message(message_id)
        if not lifecycle.can_move(message.state, MessageState.TRIAGE):
            return MessageState(message.state)
        message.parse_error = f"{type(error).__name__}: {str(error)[:500]}"
        lifecycle.transition_message(
            message,
            Outcome(
                MessageState.TRIAGE,
                f"Processing failed ({type(error).__name__}); please read it yourself.",
            ),
            actor=actor,
        )
    return MessageState.TRIAGE


def _process_batch(ids: list[int], *, again: bool, actor) -> dict[int, MessageState]:
    batch = _Batch(actor=actor)
    results: dict[int, MessageState] = {}
    readings = []
    messages = lifecycle.lock_messages(ids)
    batch.raws = _RawBytes(messages)
    for message in messages:
        if message.state != MessageState.STORED:
            if not (again and message.state in MessageState.reopenable()):
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
        self.senders = SenderLookup()
        self.acks = AckCounts(self.now)
        self._micro_internships: dict[str, MicroInternship | None] = {}
        self._open: list[MicroInternship] | None = None
        self._seen_sha: dict[str, list[int]] = {}
        self._twins: dict[str, list[int]] = {}
        self.raws = _RawBytes([])

    @cached_property
    def own(self) -> set[str]:
        return own_addresses()

    def prepare(self, human: list[tuple[InboundMessage, ParsedMessage]]) -> None:
        """Read in advance what interpreting the human messages of the batch needs: the
        senders' student records and confirmed personal addresses, the acknowledgements
        sent to them today (three queries), and earlier messages with the same bytes."""
        senders = {single_sender(parsed) for _message, parsed in human} - {None}
        envelopes = {envelope_sender(parsed) for _message, parsed in human} - {None, ""}
        self.senders.look_up(senders, envelopes)
        self.acks.load(envelopes)
        self.look_up_twins([message for message, _parsed in human])

    def log(self, subject, action: str, **data) -> None:
        self.entries.append(activity_entry(subject, action, actor=self.actor, **data))

    def finish(self, message: InboundMessage, outcome: Outcome) -> None:
        self.entries.append(lifecycle.settle(message, outcome, actor=self.actor))
        self.finished.append(message)
        self._seen_sha.setdefault(message.sha256, []).append(message.pk)

    def write(self) -> None:
        lifecycle.write_settled(self.finished, self.entries)

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


RAW_READ_BYTES = 1_000_000
"""Stored bytes read in one query: small messages together, a large one on its own."""


class _RawBytes:
    """The stored bytes of a batch's messages, read when the first of a group is opened:
    the rows are locked without them, and messages are read together only up to
    `RAW_READ_BYTES` (a message larger than that alone), so a batch holds about that much
    besides the message being parsed, in one query per group instead of one per message."""

    def __init__(self, messages: list[InboundMessage]) -> None:
        self._group_of: dict[int, list[int]] = {}
        group: list[int] = []
        total = 0
        for message in messages:
            if message.headers_only:  # never opened
                continue
            if group and total + message.size > RAW_READ_BYTES:
                group, total = [], 0
            group.append(message.pk)
            total += message.size
            self._group_of[message.pk] = group
        self._ready: dict[int, bytes] = {}

    def take(self, message: InboundMessage) -> bytes:
        if message.pk not in self._ready:
            group = self._group_of.get(message.pk, [message.pk])
            rows = InboundMessage.objects.filter(pk__in=group).values_list("pk", "raw")
            self._ready.update((pk, bytes(raw)) for pk, raw in rows)
        return self._ready.pop(message.pk)


def _read(message: InboundMessage, batch: _Batch) -> Outcome | tuple[ParsedMessage, Classification]:
    """Parse and classify: an outcome already (quarantined, unreadable, not human mail),
    or the parsed human message and its classification."""
    if message.headers_only:  # over the size limit: never opened (see `store`)
        return refusal.quarantine(
            message, ReasonCode.TOO_LARGE, message.oversize_reason, own=batch.own
        )
    raw = batch.raws.take(message)
    parsed = parse_message(raw)
    if isinstance(parsed, Quarantined):
        message.parse_error = parsed.reason
        if parsed.code == QuarantineCode.UNPARSEABLE:  # not hostile, just not understood
            return Outcome(MessageState.TRIAGE, parsed.reason, code=ReasonCode.UNPARSEABLE)
        return refusal.quarantine(message, parsed.code.value, parsed.reason, own=batch.own, raw=raw)
    del raw  # from here on the parsed message is all that is read
    message.parse_error = ""
    message.subject = parsed.subject[:500]
    message.from_address = (parsed.sender or "")[:320]
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
    message: InboundMessage,
    parsed: ParsedMessage,
    classification: Classification,
    batch: _Batch,
) -> Outcome:
    twin = batch.twin_of(message)
    if twin is not None:  # the same bytes through another mailbox or an import: done already
        return Outcome(
            MessageState.SET_ASIDE,
            f"Duplicate: the same message arrived before as #{twin}.",
            code=ReasonCode.DUPLICATE,
        )
    if classification.doubt:  # a person decides; nothing is recorded, nobody is answered
        message.acknowledgement_note = "Not acknowledged: a person decides (see the reason)."
        return Outcome(MessageState.TRIAGE, classification.doubt)
    outcome, finding = _interpret(message, parsed, batch)
    acknowledge(
        message,
        parsed,
        classification,
        outcome,
        finding,
        own=batch.own,
        senders=batch.senders,
        acks=batch.acks,
    )
    return outcome


def _interpret(
    message: InboundMessage, parsed: ParsedMessage, batch: _Batch
) -> tuple[Outcome, Finding]:
    """Where the message goes (for staff) and what was found (for the sender's answer)."""
    if message.conflicts_with_id:
        return Outcome(
            MessageState.TRIAGE,
            f"Same Message-ID as message #{message.conflicts_with_id} but different content: "
            "please compare them.",
        ), Finding(Found.PERSON, "it looks like an earlier message of yours but differs from it")
    student = batch.senders.student_for(parsed)
    message.student = student
    message.vouched_by_own_server = dmarc_pass_from_own_server(
        parsed, inbound_setting("TRUSTED_AUTHSERV_ID")
    )
    if student is None and parsed.sender is None:
        shown = " / ".join(parsed.header_all("From"))[:200] or "(none)"
        return Outcome(
            MessageState.TRIAGE,
            f"No sender: the From header ({shown}) is not a single, well-formed address, so "
            "nobody can be told apart as its writer.",
        ), Finding(Found.PERSON, "we could not read who sent it")
    if student is None:
        return Outcome(
            MessageState.TRIAGE,
            f"Unknown sender: {parsed.sender} is not a student's "
            "university address or a personal address a student has confirmed.",
        ), Finding(Found.PERSON, "this address is not one we have on record for a student")
    codes = find_reference_codes(parsed.subject, "") or find_reference_codes(
        "", parsed.body_trimmed or parsed.body_text
    )
    mi, problem = find_micro_internship(parsed, batch)
    message.micro_internship = mi
    if mi is None:
        if len(codes) == 1:
            return Outcome(MessageState.TRIAGE, problem), Finding(Found.UNKNOWN_CODE, codes[0])
        detail = (
            "it names more than one micro-internship"
            if codes
            else "we could not tell which micro-internship it is about"
        )
        return Outcome(MessageState.TRIAGE, problem), Finding(Found.PERSON, detail)
    why = not_open_because(mi, message.received_at)
    if (
        why
        and not ExpressionOfInterest.objects.filter(student=student, micro_internship=mi).exists()
    ):
        return Outcome(
            MessageState.TRIAGE,
            f"{mi.reference} is not open for interest ({mi.get_state_display()}"
            + (", interest not open yet" if why == "not_yet" else "")
            + (", interest window over" if why == "closed" and mi.state == "open" else "")
            + "): nothing was recorded.",
        ), Finding(Found.NOT_OPEN, mi.reference, why)
    statement = extract_statement(parsed, word_limit=settings.MICROINTERN["STATEMENT_WORD_LIMIT"])
    message.statement_over_limit = (
        statement.over_limit or len(statement.text) > statement_character_limit()
    )
    outcome = record_emailed_interest(message, student, mi, statement.text, actor=batch.actor)
    if outcome.state == MessageState.TRIAGE:
        return outcome, Finding(Found.PERSON, "we could not record it on our own")
    length = ""
    if message.statement_over_limit:
        words, limit = statement.word_count, statement_word_limit()
        length = (
            f"it has {words} words, and the limit is {limit}"
            if words > limit
            else f"it has {len(statement.text):,} characters, and the limit is "
            f"{statement_character_limit():,}"
        )
    return outcome, Finding(Found.RECORDED, mi.reference, length=length)


def not_open_because(mi: MicroInternship, at) -> str:
    """Why `mi` takes no interest at `at` (a `NotOpen` value), or "" when it does."""
    if mi.state == MicroInternshipState.OPEN:
        if at < mi.interest_opens_at:
            return NotOpen.NOT_YET
        return NotOpen.CLOSED if at >= mi.interest_closes_at else ""
    return {
        MicroInternshipState.DRAFT: NotOpen.DRAFT,
        MicroInternshipState.CLOSED: NotOpen.CLOSED,
        MicroInternshipState.SELECTION_PUBLISHED: NotOpen.SELECTION_PUBLISHED,
        MicroInternshipState.COMPLETED: NotOpen.COMPLETED,
        MicroInternshipState.EVALUATED: NotOpen.EVALUATED,
        MicroInternshipState.CANCELLED: NotOpen.CANCELLED,
    }[MicroInternshipState(mi.state)]


def record_emailed_interest(
    message: InboundMessage, student: Student, mi: MicroInternship, statement: str, *, actor=None
) -> Outcome:
    """Turn a message into an interest for `student` in `mi` (also staff's "link" action).

    Rules: through `record_interest` with source email, received when our server received
    the message (IMAP INTERNALDATE) or, for imports, when it was stored; it counts
    at once only when our own mail server vouched for the sender, otherwise after the confirm
    link. A second message about the same interest is added to it (it never verifies it).
    Side effects: those of `record_interest`; its own acknowledgement is held and released
    only when ours cannot carry the confirm link (see `acknowledge.acknowledge`).
    """
    now = timezone.now()
    verified_at = now if message.vouched_by_own_server else None
    existing = ExpressionOfInterest.objects.filter(
        student=student, micro_internship=mi, discarded_at__isnull=True
    ).first()
    if existing is not None:
        # Not verified by this message even when vouched for: the earlier statement may have
        # been sent by someone else, and the student must see it before it counts.
        message.interest = existing
        log_activity(existing, "interest.repeated", actor=actor, source=InterestSource.EMAIL)
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
                choice=find_choice(f"{message.subject}\n{statement}"),
            )
    except InterestRefused as refused:
        return Outcome(MessageState.TRIAGE, f"Interest not recorded: {refused}")
    message.interest = interest
    flagged = ""
    if message.statement_over_limit or interest.statement_over_limit:
        limit = "word" if count_words(statement) > statement_word_limit() else "character"
        flagged = f" The statement is longer than the {limit} limit (kept whole)."
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
