"""The outbox: queue, deliver, retry and release emails. Every email the system sends
goes through `queue_email`.

Delivery guarantee: AT LEAST ONCE, with a stable Message-ID.
- `queue_email` stores the rendered message; delivery is enqueued after the transaction
  commits (a rolled-back change sends nothing).
- `deliver` claims a queued row under a row lock and marks it "sending" with a lease (and
  its Message-ID, generated once) in a committed transaction, then talks SMTP outside any
  transaction, then marks it "sent".
- If the worker dies before the SMTP server has the whole message, nothing was delivered;
  when the lease expires, `retry_due` queues the row again and it is sent once.
- The unavoidable window: the server has accepted the message (after the final "." of DATA)
  but the worker dies before committing "sent". The retry then delivers a second copy with
  the SAME Message-ID, so mail clients and archives can recognise it as a duplicate. We
  chose this over at-most-once (marking "sent" before talking SMTP), which would silently
  lose a message in the same window: an offer that never arrives is worse than one that
  arrives twice. The window is the server's reply time plus one UPDATE (milliseconds).
- Temporary failures (4xx, refused connection, timeouts) retry with exponential back-off;
  permanent ones (5xx) mark the row failed with the reason; staff can retry by hand.
"""

import logging
import smtplib
import socket
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, make_msgid
from django.db import IntegrityError, transaction
from django.utils import timezone

from microintern.core.domain import log_activity

from .enums import EmailRole, MessageState
from .models import OutboundAttachment, OutboundMessage
from .templating import email_role, render_role

logger = logging.getLogger(__name__)


def outbox_setting(name: str) -> int:
    return settings.MICROINTERN_OUTBOX[name]


def queue_email(
    role: EmailRole | str,
    *,
    to: str,
    context: dict,
    person=None,
    about=None,
    dedupe_key: str | None = None,
    headers: dict | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    hold: bool = False,
    reply_to: str | None = None,
) -> OutboundMessage:
    """Render the role's email for `to` and put it in the outbox.

    Rules: `role` is an EmailRole or its value (else `UnknownEmailRole`, nothing stored);
    with a `dedupe_key` already used, returns that earlier message and queues nothing (so
    re-running an import never emails twice). Side effects: one OutboundMessage row (and
    its attachments) in the caller's transaction; unless `hold`, delivery is enqueued after
    commit. A held message waits as a draft for `release_held`.
    """
    role = email_role(role)
    if dedupe_key:
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    subject, body = render_role(role, context)
    now = timezone.now()
    message = OutboundMessage(
        role=role.value,
        to=to,
        reply_to=reply_to or "",
        subject=subject,
        body=body,
        headers=headers or {},
        state=MessageState.DRAFT if hold else MessageState.QUEUED,
        dedupe_key=dedupe_key or None,
        queued_at=None if hold else now,
        next_attempt_at=None if hold else now + timedelta(seconds=outbox_setting("LEASE_SECONDS")),
        **_generic("person", person),
        **_generic("about", about),
    )
    try:
        with transaction.atomic():
            message.save()
            OutboundAttachment.objects.bulk_create(
                OutboundAttachment(message=message, filename=f, content=c, mimetype=m)
                for f, c, m in attachments or []
            )
    except IntegrityError:
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if dedupe_key and existing is not None:
            return existing
        raise
    if not hold:
        _enqueue_after_commit(message.pk)
    return message


def release_held(message_ids, actor) -> int:
    """Queue held drafts for sending (e.g. all offers of a round, after review).

    Only drafts move; anything else among `message_ids` is left alone. Logs
    `email.released` per message and enqueues each after commit. Returns how many moved.
    """
    now = timezone.now()
    released = 0
    with transaction.atomic():
        for message in OutboundMessage.objects.select_for_update().filter(
            pk__in=list(message_ids), state=MessageState.DRAFT
        ):
            message.state = MessageState.QUEUED
            message.queued_at = now
            message.next_attempt_at = now + timedelta(seconds=outbox_setting("LEASE_SECONDS"))
            message.released_by = actor if getattr(actor, "is_authenticated", False) else None
            message.save(update_fields=["state", "queued_at", "next_attempt_at", "released_by"])
            log_activity(message, "email.released", actor=actor)
            _enqueue_after_commit(message.pk)
            released += 1
    return released


def retry_failed(message: OutboundMessage, actor) -> bool:
    """Staff ask for a failed message to be tried again. Logs `email.retried`."""
    with transaction.atomic():
        locked = OutboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.state != MessageState.FAILED:
            return False
        locked.state = MessageState.QUEUED
        locked.next_attempt_at = timezone.now() + timedelta(seconds=outbox_setting("LEASE_SECONDS"))
        locked.save(update_fields=["state", "next_attempt_at"])
        log_activity(locked, "email.retried", actor=actor, last_error=locked.last_error)
        _enqueue_after_commit(locked.pk)
    message.refresh_from_db()
    return True


def retry_due(now=None) -> int:
    """The periodic safety net: requeue "sending" rows whose lease expired (a worker died)
    and enqueue queued rows whose next attempt is due (back-off over, or a lost task).

    Each row enqueued has its next_attempt_at pushed a lease ahead, so a stopped worker does
    not pile up tasks. Returns how many deliveries were enqueued.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=outbox_setting("LEASE_SECONDS"))
    with transaction.atomic():
        expired = list(
            OutboundMessage.objects.select_for_update().filter(
                state=MessageState.SENDING, lease_expires_at__lte=now
            )
        )
        for message in expired:
            message.state = MessageState.QUEUED
            message.lease_expires_at = None
            message.next_attempt_at = now
            message.last_error = (
                "The worker stopped while sending; trying again with the same Message-ID."
            )
            message.save(
                update_fields=["state", "lease_expires_at", "next_attempt_at", "last_error"]
            )
        due = list(
            OutboundMessage.objects.select_for_update()
            .filter(state=MessageState.QUEUED, next_attempt_at__lte=now)
            .values_list("pk", flat=True)
        )
        OutboundMessage.objects.filter(pk__in=due).update(next_attempt_at=now + lease)
        for pk in due:
            _enqueue_after_commit(pk)
    return len(due)


def deliver(message_id: int) -> MessageState | None:
    """Send one queued message (called by the worker). See the module docstring."""
    now = timezone.now()
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.state != MessageState.QUEUED:
            return None
        message.state = MessageState.SENDING
        message.attempts += 1
        message.lease_expires_at = now + timedelta(seconds=outbox_setting("LEASE_SECONDS"))
        if not message.message_id:
            message.message_id = make_msgid(domain=_sender_domain())
        message.save(update_fields=["state", "attempts", "lease_expires_at", "message_id"])
    try:
        _email_for(message).send()
    except Exception as error:  # noqa: BLE001 - every failure is recorded, none is lost
        return _record_failure(message, error)
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk, state=MessageState.SENDING).update(
            state=MessageState.SENT,
            sent_at=timezone.now(),
            lease_expires_at=None,
            next_attempt_at=None,
            last_error="",
        )
    return MessageState.SENT


def classify_error(error: Exception) -> tuple[bool, str]:
    """(is_permanent, reason): 5xx replies about this message (its recipient, its content)
    are permanent; 4xx, refused connections, timeouts and our own account or sender being
    refused (a configuration problem that staff fix once for every message) are temporary;
    anything unexpected is treated as temporary (nothing is lost, and the attempt limit
    still ends it)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        reason = "; ".join(
            f"{address}: {code} {_decode(msg)}" for address, (code, msg) in error.recipients.items()
        )
        return all(code >= 500 for code in codes), f"Recipient refused: {reason}"
    if isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
        code = error.smtp_code
        reason = f"SMTP {code} {_decode(error.smtp_error)}"
        return False, f"The mail server refused our account or sender address: {reason}"
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        return code >= 500, f"SMTP {code} {_decode(error.smtp_error)}"
    if isinstance(error, ConnectionRefusedError | socket.timeout | TimeoutError):
        return False, f"Could not reach the mail server: {error}"
    if isinstance(error, smtplib.SMTPException | OSError):
        return False, f"Mail server problem: {error}"
    return False, f"{type(error).__name__}: {error}"


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: first retry after FIRST_RETRY_SECONDS, doubling,
    at most six hours."""
    seconds = outbox_setting("FIRST_RETRY_SECONDS") * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 6 * 3600))


def _record_failure(message: OutboundMessage, error: Exception) -> MessageState:
    permanent, reason = classify_error(error)
    gave_up = not permanent and message.attempts >= outbox_setting("MAX_ATTEMPTS")
    if gave_up:
        reason = f"Gave up after {message.attempts} attempts. Last error: {reason}"
    state = MessageState.FAILED if permanent or gave_up else MessageState.QUEUED
    next_attempt = (
        None if state == MessageState.FAILED else timezone.now() + backoff(message.attempts)
    )
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk, state=MessageState.SENDING).update(
            state=state, last_error=reason, lease_expires_at=None, next_attempt_at=next_attempt
        )
        if state == MessageState.FAILED:
            log_activity(message, "email.failed", reason=reason)
    logger.warning("Email %s to %s: %s", message.pk, message.to, reason)
    if next_attempt is not None:
        _enqueue_retry(message.pk, next_attempt)
    return state


def _email_for(message: OutboundMessage) -> EmailMessage:
    headers = {**message.headers, "Message-ID": message.message_id}
    email = EmailMessage(
        message.subject,
        message.body,
        to=[message.to],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
    )
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _enqueue_after_commit(message_id: int) -> None:
    from .tasks import deliver_message

    transaction.on_commit(lambda: deliver_message.enqueue(message_id))


def _enqueue_retry(message_id: int, when) -> None:
    """Enqueue a deferred retry where the task backend can defer; otherwise `retry_due`
    (the periodic job) picks the row up when its next attempt is due."""
    from .tasks import deliver_message

    if deliver_message.get_backend().supports_defer:
        transaction.on_commit(lambda: deliver_message.using(run_after=when).enqueue(message_id))


def _generic(prefix: str, obj) -> dict:
    if obj is None:
        return {}
    return {
        f"{prefix}_type": ContentType.objects.get_for_model(obj),
        f"{prefix}_id": str(obj.pk),
    }


def _sender_domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"


def _decode(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def messages_for_person(person):
    """Every message to this person (by link or by their address), newest first."""
    from django.db.models import Q

    query = Q(person_type=ContentType.objects.get_for_model(person), person_id=str(person.pk))
    email = getattr(person, "email", "")
    if email:
        query |= Q(to__iexact=email)
    return OutboundMessage.objects.filter(query)


def messages_about(*objects):
    from django.db.models import Q

    query = Q(pk__in=[])
    for obj in objects:
        query |= Q(about_type=ContentType.objects.get_for_model(obj), about_id=str(obj.pk))
    return OutboundMessage.objects.filter(query)
