"""Inbound email, step 1: keep the bytes exactly as received, once.

Store first: a message is committed before anything reads it, so nothing later can lose it.
Storing the same message again (another poll, the same import twice) returns its row.

A message over the size limit (`INBOUND_MAX_MESSAGE_BYTES`) is kept as its header block,
its size, its hash and the reason (`headers_only`): importers read such a file in pieces, the
IMAP poller downloads only its headers, so no message is ever held whole above the limit.
"""

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from microintern.core.domain import activity_entry, log_activities, log_activity

from .config import inbound_setting
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


HEADER_KEEP_BYTES = 256 * 1024
"""At most this much of an oversize message's header block is kept (and downloaded)."""
READ_CHUNK_BYTES = 1024 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def max_message_bytes() -> int:
    """The largest message stored whole (`INBOUND_MAX_MESSAGE_BYTES`)."""
    return inbound_setting("MAX_MESSAGE_BYTES")


def human_size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")


def header_block(raw: bytes) -> bytes:
    """The header block of `raw` with the blank line that ends it (at most
    HEADER_KEEP_BYTES: a longer one is cut there)."""
    head = raw[: HEADER_KEEP_BYTES + 4]
    end = _HEADER_END.search(head)
    return head[: end.end()] if end else head[:HEADER_KEEP_BYTES]


@dataclass(frozen=True)
class Incoming:
    """One message as received: its exact bytes (or, over the size limit, only its header
    block, with the whole message's `size` and, when it was read, `sha256`) and where they
    came from."""

    raw: bytes
    mailbox: Mailbox | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    origin: str = ""
    received_at: datetime | None = None
    size: int | None = None
    """The whole message's size, when `raw` holds only its header block."""
    sha256: str = ""
    """The whole message's SHA-256, when `raw` holds only its header block and the rest was
    read (imports); empty when it never was (IMAP: the hash is then of the headers kept)."""

    @property
    def headers_only(self) -> bool:
        return self.size is not None


def within_limit(item: Incoming) -> Incoming:
    """`item` as it is stored: whole, or its header block when it is over the size limit
    (received whole all the same, e.g. from a server that under-reported its size)."""
    if item.headers_only or len(item.raw) <= max_message_bytes():
        return item
    return replace(
        item,
        raw=header_block(item.raw),
        size=len(item.raw),
        sha256=hashlib.sha256(item.raw).hexdigest(),
    )


def read_kept(handle: BinaryIO, size: int, **where) -> Incoming:
    """A message read from an open file of `size` bytes: whole when it is within the size
    limit, else only its header block is kept and the rest is hashed in pieces, so memory
    stays bounded whatever the file's size."""
    if size <= max_message_bytes():
        return Incoming(handle.read(), **where)
    head = handle.read(HEADER_KEEP_BYTES + 4)
    digest = hashlib.sha256(head)
    while chunk := handle.read(READ_CHUNK_BYTES):
        digest.update(chunk)
    return Incoming(header_block(head), size=size, sha256=digest.hexdigest(), **where)


def dedupe_key(channel: str, message_id: str | None, sha256: str) -> str:
    if message_id:
        return f"{channel}:mid:{message_id}"
    return f"{channel}:sha:{sha256}"


def _identity(item: Incoming) -> tuple[str, str, str]:
    """(SHA-256, Message-ID, dedupe key) of a message."""
    sha256 = item.sha256 or hashlib.sha256(item.raw).hexdigest()
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
    stored meanwhile by another process) is stored on its own. A message over the size limit
    keeps only its headers (`within_limit`). Returns one `Stored` per item, in order.
    """
    items = [within_limit(item) for item in items]
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
        size=item.size if item.headers_only else len(item.raw),
        headers_only=item.headers_only,
        oversize_reason=oversize_reason(item),
        message_id=message_id,
        received_at=item.received_at or timezone.now(),
        conflicts_with=conflicts_with,
    )


def oversize_reason(item: Incoming) -> str:
    """Why only the headers of `item` were kept, and where the whole message still is."""
    if not item.headers_only:
        return ""
    where = (
        f"the original is in the mailbox {item.mailbox.name}"
        if item.mailbox
        else f"the original is in {item.origin or 'the imported file'}"
    )
    return (
        f"The message is {human_size(item.size)}, over the limit of "
        f"{human_size(max_message_bytes())} for storing mail: only its headers were kept "
        f"({where})."
    )[:500]


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
