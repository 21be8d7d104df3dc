"""Inbound email, step 1: keep the bytes exactly as received, once.

Store first: a message is committed before anything reads it, so nothing later can lose it.
Storing the same message again (another poll, the same import twice) returns its row.
"""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from microintern.core.domain import activity_entry, log_activities, log_activity

from .enums import Source
from .models import InboundMessage, Mailbox
from .parse import extract_message_id

logger = logging.getLogger(__name__)


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
