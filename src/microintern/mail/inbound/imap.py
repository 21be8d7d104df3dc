"""Polling an IMAP mailbox (imap-tools), one poller per mailbox, nothing lost.

For the new messages (UIDs above the cursor, within the current UIDVALIDITY), a batch at a
time (at most `pipeline.BATCH_SIZE` messages and `pipeline.BATCH_BYTES` by RFC822.SIZE): fetch
the exact bytes with BODY.PEEK[] (a message whose RFC822.SIZE is over the size limit: only
its header block, BODY.PEEK[HEADER], so it is never downloaded whole) → store (committed) →
process (committed) → MOVE to the processed folder → advance the cursor. A poller killed at
any point leaves the messages in the folder (or already stored): the next poll fetches them
again, storing is idempotent and processing happens once, so nothing is lost and nothing is
done twice.

Never a blind EXPUNGE: Python's imaplib does not refresh capabilities after login, so
imap-tools would think MOVE is missing and fall back to COPY + \\Deleted + EXPUNGE (which on
a shared mailbox also removes other people's deleted messages). We refresh them after login
and refuse to move without MOVE (the message then simply stays; the cursor skips it).
"""

import imaplib
import logging
import re
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.mailbox import BaseMailBox

from microintern.core.errors import Busy, Refusal

from .config import inbound_setting
from .enums import AuthMethod, Security
from .models import InboundMessage, Mailbox
from .pipeline import batches, process_messages
from .store import HEADER_KEEP_BYTES, Incoming, max_message_bytes, store_messages

logger = logging.getLogger(__name__)


class MailboxBusy(Busy):
    """Another poller holds this mailbox's lease (try again later)."""


class MailboxProblem(Refusal):
    """The mailbox cannot be used as configured (message for staff)."""


@dataclass
class PollResult:
    mailbox: str
    fetched: int = 0
    stored: int = 0
    processed: dict = field(default_factory=dict)
    moved: int = 0
    busy: bool = False
    error: str = ""

    def __str__(self) -> str:
        if self.busy:
            return f"{self.mailbox}: another poller is running"
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.processed.items()))
        text = f"{self.mailbox}: {self.fetched} fetched, {self.stored} new, {self.moved} moved"
        return (
            text
            + (f" ({states})" if states else "")
            + (f"; error: {self.error}" if self.error else "")
        )


# ------------------------------------------------------------------------------------------
# Lease: a single conditional UPDATE, so it works the same on SQLite and PostgreSQL.


def lease_seconds() -> int:
    return inbound_setting("LEASE_SECONDS")


def acquire_lease(mailbox: Mailbox) -> str:
    """Take the mailbox for this poller, or raise MailboxBusy. Returns the lease token."""
    token = secrets.token_hex(16)
    now = timezone.now()
    taken = Mailbox.objects.filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now), pk=mailbox.pk
    ).update(lease_owner=token, lease_expires_at=now + timedelta(seconds=lease_seconds()))
    if not taken:
        raise MailboxBusy(mailbox.name)
    return token


def renew_lease(mailbox: Mailbox, token: str) -> None:
    renewed = Mailbox.objects.filter(pk=mailbox.pk, lease_owner=token).update(
        lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds())
    )
    if not renewed:
        raise MailboxBusy(f"{mailbox.name}: the lease was lost")


def release_lease(mailbox: Mailbox, token: str) -> None:
    Mailbox.objects.filter(pk=mailbox.pk, lease_owner=token).update(
        lease_owner="", lease_expires_at=None
    )


# ------------------------------------------------------------------------------------------
# Connecting


def access_token(mailbox: Mailbox) -> str:
    """An OAuth2 access token by MSAL client credentials (Microsoft 365 app-only IMAP)."""
    import msal  # noqa: PLC0415 - heavy, loaded only for OAuth2 (Microsoft 365) mailboxes

    app = msal.ConfidentialClientApplication(
        mailbox.client_id,
        authority=f"https://login.microsoftonline.com/{mailbox.tenant_id}",
        client_credential=mailbox.secret(),
    )
    result = app.acquire_token_for_client(scopes=[mailbox.oauth_scope])
    if "access_token" not in result:
        raise MailboxProblem(
            f"Could not get an OAuth2 token: {result.get('error')}: "
            f"{result.get('error_description', '')[:300]}"
        )
    return result["access_token"]


def connect(mailbox: Mailbox, *, token: str | None = None, timeout: int = 60) -> BaseMailBox:
    """Log in (password or XOAUTH2) and refresh the server's capabilities."""
    if mailbox.security == Security.NONE:
        client = MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=timeout)
    elif mailbox.security == Security.STARTTLS:
        client = MailBoxStartTls(
            mailbox.host, mailbox.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    else:
        client = MailBox(
            mailbox.host, mailbox.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    if mailbox.auth == AuthMethod.OAUTH2:
        client.xoauth2(mailbox.username, token or access_token(mailbox), initial_folder=None)
    else:
        client.login(mailbox.username, mailbox.secret(), initial_folder=None)
    refresh_capabilities(client)
    return client


def refresh_capabilities(client: BaseMailBox) -> None:
    typ, data = client.client.capability()
    if typ == "OK" and data:
        client.client.capabilities = tuple(data[-1].decode().upper().split())


def fetch_raw(client: BaseMailBox, uid: int) -> bytes | None:
    """The exact bytes of one message (BODY.PEEK[]: the \\Seen flag is not set)."""
    fetched = fetch(client, uid)
    return fetched[0] if fetched else None


def fetch(client: BaseMailBox, uid: int) -> tuple[bytes, datetime | None] | None:
    """The exact bytes of one message and when the server received it (INTERNALDATE)."""
    return fetch_many(client, [uid]).get(uid)


_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


WHOLE = "BODY.PEEK[]"
HEADERS = f"BODY.PEEK[HEADER]<0.{HEADER_KEEP_BYTES}>"
"""The header block only (and at most HEADER_KEEP_BYTES of it), for oversize messages."""


def fetch_many(
    client: BaseMailBox, uids: list[int], section: str = WHOLE
) -> dict[int, tuple[bytes, datetime | None]]:
    """The exact bytes of several messages (or, with `section=HEADERS`, their header blocks)
    and when the server received each (INTERNALDATE), by UID, in one UID FETCH. A UID missing
    from the answer was expunged meanwhile."""
    if not uids:
        return {}
    typ, data = client.client.uid(
        "FETCH", ",".join(map(str, uids)), f"(UID {section} INTERNALDATE)"
    )
    if typ != "OK":
        return {}
    found = {}
    for index, item in enumerate(data):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes)):
            continue
        # UID and INTERNALDATE come before the literal or, with some servers, after it.
        after = data[index + 1] if index + 1 < len(data) else b""
        about = item[0] + b" " + (after if isinstance(after, bytes) else b"")
        uid = _UID.search(about)
        if uid is not None:
            found[int(uid.group(1))] = (item[1], _internaldate(about))
    return found


def sizes(client: BaseMailBox, uids: list[int]) -> dict[int, int]:
    """RFC822.SIZE by UID (to fetch in batches of bounded size)."""
    if not uids:
        return {}
    typ, data = client.client.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
    found = {}
    for item in data if typ == "OK" else []:
        line = item[0] if isinstance(item, tuple) else item
        uid, size = _UID.search(line or b""), _SIZE.search(line or b"")
        if uid is not None and size is not None:
            found[int(uid.group(1))] = int(size.group(1))
    return found


def _internaldate(response: bytes) -> datetime | None:
    """INTERNALDATE as an aware datetime, never in the future (None if absent)."""
    parsed = imaplib.Internaldate2tuple(response)
    if parsed is None:
        return None
    when = datetime.fromtimestamp(time.mktime(parsed), tz=UTC)
    return min(when, timezone.now())


# ------------------------------------------------------------------------------------------
# Polling


Progress = Callable[[PollResult, int, int], None]
"""Called after each batch with the result so far, messages done and messages new."""


def poll(
    mailbox: Mailbox,
    *,
    limit: int | None = None,
    token: str | None = None,
    progress: Progress | None = None,
) -> PollResult:
    """Fetch, store, process and move every new message of one mailbox (see the module
    docstring), telling `progress` after each batch. Raises MailboxBusy when another poller
    holds the mailbox."""
    result = PollResult(mailbox.name)
    lease = acquire_lease(mailbox)
    try:
        with connect(mailbox, token=token) as client:
            _poll(client, mailbox, lease, result, limit, progress)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error="")
    except MailboxBusy:
        raise
    except Exception as error:
        result.error = f"{type(error).__name__}: {error}"[:1000]
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=timezone.now(), last_error=result.error
        )
        logger.exception("Polling mailbox %s failed", mailbox.name)
    finally:
        release_lease(mailbox, lease)
    return result


def _poll(
    client: BaseMailBox,
    mailbox: Mailbox,
    lease: str,
    result: PollResult,
    limit: int | None,
    progress: Progress | None,
) -> None:
    if not client.folder.exists(mailbox.processed_folder):
        client.folder.create(mailbox.processed_folder)
    client.folder.set(mailbox.folder)
    status = client.folder.status(mailbox.folder, ["UIDVALIDITY"])
    uidvalidity = int(status["UIDVALIDITY"])
    mailbox.refresh_from_db(fields=["uidvalidity", "last_uid"])
    if mailbox.uidvalidity is not None and mailbox.uidvalidity != uidvalidity:
        logger.warning(
            "Mailbox %s: UIDVALIDITY changed (%s → %s); reading the folder again (stored "
            "messages are recognised by Message-ID or hash)",
            mailbox.name,
            mailbox.uidvalidity,
            uidvalidity,
        )
    if mailbox.uidvalidity != uidvalidity:
        mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
        mailbox.save(update_fields=["uidvalidity", "last_uid"])
    uids = sorted(int(u) for u in client.uids(f"UID {mailbox.last_uid + 1}:*"))
    uids = [u for u in uids if u > mailbox.last_uid][:limit]
    can_move = "MOVE" in client.client.capabilities
    if not can_move:
        logger.warning("Mailbox %s: the server has no MOVE; messages stay in place", mailbox.name)
    size_of = sizes(client, uids)
    limit_bytes = max_message_bytes()
    oversize = {uid for uid in uids if size_of.get(uid, 0) > limit_bytes}

    def held(uid: int) -> int:  # what fetching it brings into memory
        return HEADER_KEEP_BYTES if uid in oversize else size_of.get(uid, 0)

    done = 0
    for group in batches(uids, size_of=held):
        fetched = fetch_many(client, [uid for uid in group if uid not in oversize])
        fetched |= fetch_many(client, [uid for uid in group if uid in oversize], HEADERS)
        present = [uid for uid in group if uid in fetched]  # others: expunged meanwhile
        result.fetched += len(present)
        stored = store_messages(
            [
                Incoming(
                    fetched[uid][0],
                    mailbox=mailbox,
                    uidvalidity=uidvalidity,
                    uid=uid,
                    received_at=fetched[uid][1],
                    size=size_of[uid] if uid in oversize else None,
                )
                for uid in present
            ]
        )
        result.stored += sum(s.created for s in stored)
        pks = [s.message.pk for s in stored]
        # Stored and committed: processing reads each message's bytes back when it opens
        # it, so the batch's downloaded copies are let go first.
        del fetched, stored
        states = process_messages(pks)
        for pk in pks:
            state = str(states.get(pk))
            result.processed[state] = result.processed.get(state, 0) + 1
        if can_move and present:
            client.move([str(uid) for uid in present], mailbox.processed_folder)
            InboundMessage.objects.filter(pk__in=pks, moved_at__isnull=True).update(
                moved_at=timezone.now()
            )
            result.moved += len(present)
        Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=group[-1]).update(last_uid=group[-1])
        renew_lease(mailbox, lease)
        done += len(group)
        if progress is not None:
            progress(result, done, len(uids))


def poll_all(*, name: str | None = None, progress: Progress | None = None) -> list[PollResult]:
    """Poll every active mailbox (or the one named); a busy mailbox is skipped."""
    mailboxes = Mailbox.objects.filter(active=True)
    if name:
        mailboxes = Mailbox.objects.filter(name=name)
    results = []
    for mailbox in mailboxes:
        try:
            results.append(poll(mailbox, progress=progress))
        except MailboxBusy:
            results.append(PollResult(mailbox.name, busy=True))
    return results
