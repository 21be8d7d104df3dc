"""The outbox: queue, deliver, retry and release emails. Every email the system sends
goes through `queue_email`, or `queue_sealed_email` for a sign-in email (code, password link).

Delivery guarantee: AT LEAST ONCE, with a stable Message-ID.
- `queue_email` stores the rendered message; delivery runs only after the transaction
  commits (a rolled-back change sends nothing): with the database task backend the task's
  row is written in the same transaction, otherwise it is enqueued after commit.
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
- Every state change goes through `transition_messages` (the moves are OUTBOX_TRANSITIONS):
  it locks the rows and moves only those still in the state the caller saw, so two workers
  never claim one message and a worker whose lease expired cannot overwrite the outcome of
  the retry. A lock not granted within the lock timeout (`Busy`) changes nothing: a claim is
  tried again by the task later; an outcome not recorded after sending leaves the row
  "sending" until its lease expires, i.e. the window above (nothing else holds an outbox
  row for more than one short transaction, so this needs a stalled database).
"""

import logging
import secrets
import smtplib
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, make_msgid
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation

from microintern.core.domain import PreparedInsert, log_activity, prepare_insert
from microintern.core.errors import TransitionNotAllowed
from microintern.core.health import Check
from microintern.core.locking import lock_rows
from microintern.core.tasks import enqueue_after_commit, retrying_task

from .enums import OUTBOX_TRANSITIONS, EmailRole, MessageState
from .language import languages_unchanged, recipient_language, stored_languages
from .models import OutboundAttachment, OutboundMessage
from .sealed import SEALED_ROLE_PREFIX, CannotOpen, seal, unseal
from .templating import common_context, current_source, email_role, render_role, render_source

logger = logging.getLogger(__name__)

"""The worker's task, named by its path as the worker itself finds it: the task layer sits
above this module (the task calls `deliver`), so the domain names it rather than imports it."""


def outbox_setting(name: str) -> int:
    return settings.MICROINTERN_OUTBOX[name]


def lease() -> timedelta:
    return timedelta(seconds=outbox_setting("LEASE_SECONDS"))


def transition_messages(
    message_ids: Iterable[int],
    to_state: MessageState,
    *,
    from_state: MessageState,
    still: Q | None = None,
    changes: dict | Callable[[OutboundMessage], dict] | None = None,
    actor=None,
    deliver: Literal["now", "after back-off"] | None = None,
) -> list[OutboundMessage]:
    """The one way an outbound message changes state.

    Rules: only moves in OUTBOX_TRANSITIONS (else `TransitionNotAllowed`, nothing changed).
    Compare-and-set: the rows are locked in key order (`lock_rows`: a lock timeout, then
    `Busy`) and only those still in `from_state` (and matching `still`) move; a row that
    another worker or person moved first is left alone and not returned. That is what keeps
    two workers from sending one message twice, and a worker that lost its lease from
    overwriting the retry's outcome.

    Side effects: sets `changes` (a dict, or one made per message), saves, logs the moves
    people take part in (`email.released`, `email.retried`, `email.failed`), and after
    commit enqueues delivery: `deliver="now"`, or at the message's next attempt where the
    task backend can defer (`"after back-off"`; otherwise `retry_due` picks it up). Returns
    the messages moved, as saved.
    """
    to_state, from_state = MessageState(to_state), MessageState(from_state)
    if to_state not in OUTBOX_TRANSITIONS[from_state]:
        raise TransitionNotAllowed("email", from_state.label, to_state.label)
    candidates = OutboundMessage.objects.filter(state=from_state)
    if still is not None:
        candidates = candidates.filter(still)
    moved = list(lock_rows(candidates, message_ids).values())
    for message in moved:
        fields = changes(message) if callable(changes) else dict(changes or {})
        for name, value in fields.items():
            setattr(message, name, value)
        message.state = to_state
        message.save(update_fields=["state", *fields])
        _log_move(message, from_state, to_state, actor)
        if deliver == "now":
            _deliver_after_commit(message.pk)
        elif deliver == "after back-off":
            _deliver_after_commit(message.pk, when=message.next_attempt_at)
    return moved


def _log_move(message, from_state: MessageState, to_state: MessageState, actor) -> None:
    if to_state == MessageState.HELD:
        log_activity(message, "email.held", actor=actor)
    elif to_state == MessageState.DISCARDED:
        log_activity(message, "email.discarded", actor=actor)
    elif from_state in MessageState.held():
        log_activity(message, "email.released", actor=actor)
    elif from_state == MessageState.FAILED:
        log_activity(message, "email.retried", actor=actor, last_error=message.last_error)
    elif to_state == MessageState.FAILED:
        log_activity(message, "email.failed", actor=actor, reason=message.last_error)


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
    re-running an import never emails twice). Side effects: one OutboundMessage row (and its
    attachments) in the caller's transaction, in one of `MessageState.starting()`; unless
    `hold`, delivery is enqueued after commit. A held message waits as a draft for
    `release_held`.
    """
    role = email_role(role)
    if dedupe_key:
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    message = _new_message(
        role,
        to=to,
        context=context,
        person=person,
        about=about,
        headers=headers,
        hold=hold,
        reply_to=reply_to,
        dedupe_key=dedupe_key,
        now=timezone.now(),
    )
    if dedupe_key or attachments:
        try:
            with transaction.atomic():  # the row with its attachments, or neither
                message.save()
                OutboundAttachment.objects.bulk_create(
                    OutboundAttachment(message=message, filename=f, content=c, mimetype=m)
                    for f, c, m in attachments or []
                )
        except IntegrityError:  # the same dedupe key, queued at the same moment
            existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
            if dedupe_key and existing is not None:
                return existing
            raise
    else:  # one row: no savepoint to roll back to
        message.save()
    if not hold:
        _deliver_after_commit(message.pk)
    return message


@dataclass(frozen=True)
class Email:
    """One email for `queue_emails`: the arguments `queue_email` takes, without dedupe."""

    role: EmailRole | str
    to: str
    context: dict
    person: object = None
    about: object = None
    attachments: list[tuple[str, bytes, str]] | None = None
    hold: bool = False


def queue_emails(emails: list[Email]) -> list[OutboundMessage]:
    """Put many emails in the outbox at once (a published selection round): each rendered
    and stored as `queue_email` would, in a few statements.

    Rules and side effects as for `queue_email` (no dedupe keys): the rows and their
    attachments are written in the caller's transaction; the messages not held are enqueued
    for delivery after commit in batches (`deliver_messages`, `enqueue_after_commit`).
    """
    return store_emails(render_emails(emails))


@dataclass(frozen=True)
class RenderedEmails:
    """Emails rendered by `render_emails`, not stored yet, with the wording they were
    rendered from (`wording`: (role, language) → (subject, body)) and the recipients'
    stored languages read for them (`languages`: user id → language), so that a caller
    rendering before it takes its locks can check both are still current (`still_current`)."""

    messages: list[OutboundMessage]
    attachments: list[list[tuple[str, bytes, str]]]
    wording: dict[tuple[EmailRole, str], tuple[str, str]]
    languages: dict[int, str]
    insert: PreparedInsert

    def still_current(self) -> bool:
        """Whether every role's wording and every recipient's chosen language are still the
        ones these were rendered from."""
        return languages_unchanged(self.languages) and all(
            current_source(role, language)[:2] == used
            for (role, language), used in self.wording.items()
        )


def render_emails(emails: list[Email]) -> RenderedEmails:
    """Render many emails as `queue_emails` would, and build the statements that will insert
    them (`core.domain.prepare_insert`), without storing anything (reads only): the
    expensive half, which may run before the caller's write transaction."""
    now = timezone.now()
    known = stored_languages(e.person for e in emails)
    languages = [recipient_language(e.person, known) for e in emails]
    wording = {  # each role's current wording (staff-edited or default) in each language
        (role, language): current_source(role, language)[:2]
        for role, language in {
            (email_role(e.role), lang) for e, lang in zip(emails, languages, strict=True)
        }
    }
    messages = [
        _new_message(
            email_role(e.role),
            language=language,
            wording=wording[email_role(e.role), language],
            to=e.to,
            context=e.context,
            person=e.person,
            about=e.about,
            headers=None,
            hold=e.hold,
            reply_to=None,
            dedupe_key=None,
            now=now,
        )
        for e, language in zip(emails, languages, strict=True)
    ]
    attachments = [e.attachments or [] for e in emails]
    return RenderedEmails(messages, attachments, wording, known, prepare_insert(messages))


def store_emails(rendered: RenderedEmails) -> list[OutboundMessage]:
    """Write emails rendered by `render_emails` to the outbox in the caller's transaction,
    in a few statements, and enqueue delivery of those not held after commit in batches
    (`deliver_messages`, `enqueue_after_commit`: with the database task backend the task
    rows are written in this same transaction)."""
    messages = rendered.messages
    with transaction.atomic():
        rendered.insert.execute()
        OutboundAttachment.objects.bulk_create(
            (
                OutboundAttachment(message=m, filename=f, content=c, mimetype=t)
                for m, files in zip(messages, rendered.attachments, strict=True)
                for f, c, t in files
            ),
            batch_size=500,
        )
    to_deliver = [m.pk for m in messages if m.state == MessageState.QUEUED]
    for start in range(0, len(to_deliver), DELIVERY_BATCH):
        enqueue_after_commit(deliver_messages, to_deliver[start : start + DELIVERY_BATCH])
    return messages


DELIVERY_BATCH = 100  # messages per delivery task when many are queued together


def _new_message(
    role: EmailRole,
    *,
    to,
    context,
    person,
    about,
    headers,
    hold,
    reply_to,
    dedupe_key,
    now,
    language: str | None = None,
    wording: tuple[str, str] | None = None,
) -> OutboundMessage:
    """An unsaved outbox row with the role's email rendered for `context` in the recipient's
    language (`mail.language`; `language` when the caller has worked it out already), from
    `wording`, the role's current subject and body in that language, when the caller has
    looked it up already. The one place every email's language is decided: its wording
    and its dates follow it."""
    language = language or recipient_language(person)
    with translation.override(language):
        if wording is None:
            subject, body = render_role(role, context, language)
        else:
            subject, body = render_source(*wording, {**common_context(), **context})
    return OutboundMessage(
        role=role.value,
        to=to,
        reply_to=reply_to or "",
        subject=subject,
        body=body,
        headers=headers or {},
        state=MessageState.DRAFT if hold else MessageState.QUEUED,
        dedupe_key=dedupe_key or None,
        action=_current_action.get(),
        queued_at=None if hold else now,
        next_attempt_at=None if hold else now + lease(),
        **_generic("person", person),
        **_generic("about", about),
    )


def queue_sealed_email(
    kind: str, *, to: str, subject: str, body: str, valid_until
) -> OutboundMessage:
    """Put a sign-in email (already rendered: a code, a password link) in the outbox, its
    body sealed (`mail.sealed`) so that nobody reading the outbox can use it.

    Side effects: one queued OutboundMessage with the role `sign_in.<kind>`, delivered after
    commit like any other, with the same retries; a retry after `valid_until` is not sent
    (the message fails with the reason) rather than arriving with a dead code.
    """
    now = timezone.now()
    message = OutboundMessage.objects.create(
        role=f"{SEALED_ROLE_PREFIX}{kind}",
        to=to,
        subject=subject,
        body=seal(body, valid_until),
        state=MessageState.QUEUED,
        queued_at=now,
        next_attempt_at=now + lease(),
    )
    _deliver_after_commit(message.pk)
    return message


def release_held(message_ids, actor) -> int:
    """Queue held messages for sending: drafts held for review (e.g. all offers of a
    round) and emails staff held back.

    Only held messages move; anything else among `message_ids` is left alone. Logs
    `email.released` per message and enqueues each after commit. Returns how many moved.
    """
    message_ids = list(message_ids)
    now = timezone.now()
    with transaction.atomic():
        released = [
            message
            for from_state in sorted(MessageState.held())
            for message in transition_messages(
                message_ids,
                MessageState.QUEUED,
                from_state=from_state,
                changes={
                    "queued_at": now,
                    "next_attempt_at": now + lease(),
                    "released_by": actor if getattr(actor, "is_authenticated", False) else None,
                },
                actor=actor,
                deliver="now",
            )
        ]
    return len(released)


_current_action: ContextVar[str] = ContextVar("outbox_action", default="")


def new_action_key() -> str:
    """A new key for the emails of one action (`one_action`), 32 characters."""
    return secrets.token_hex(16)


@contextmanager
def one_action(key: str = "") -> Iterator[str]:
    """Tag every email queued inside the block (by any domain function it calls) with one
    key, new unless `key` is given (an action the worker carries out for staff, e.g.
    publishing a round, under the key chosen when staff asked), and yield the key: staff
    can then see, hold back, release or discard the emails of that one action
    (`hold_action`), e.g. a bulk decision made by mistake."""
    key = key or new_action_key()
    token = _current_action.set(key)
    try:
        yield key
    finally:
        _current_action.reset(token)


def emails_of_action(key: str):
    """The outbox rows queued by one action (`one_action`), or none for an empty key."""
    return OutboundMessage.objects.filter(action=key) if key else OutboundMessage.objects.none()


@dataclass(frozen=True)
class ActionEmails:
    """How the emails of one action stand, for the note staff see right after it."""

    key: str
    total: int
    queued: int  # not yet claimed by a worker: can still be held back
    held: int
    on_its_way: int  # sent, or being sent: too late to hold back
    discarded: int


def action_emails(key: str) -> ActionEmails:
    """Count the emails of one action (`one_action`) by where they stand."""
    counts = dict(emails_of_action(key).values_list("state").annotate(n=Count("id")))

    def total(states) -> int:
        return sum(counts.get(state.value, 0) for state in states)

    return ActionEmails(
        key=key,
        total=sum(counts.values()),
        queued=total(MessageState.can_be_held_back()),
        held=total(MessageState.held()),
        on_its_way=total(MessageState.on_its_way()),
        discarded=counts.get(MessageState.DISCARDED.value, 0),
    )


def page_after_action(page: str, key: str) -> str:
    """The address of `page` to show right after an action: with the note of its emails
    (`?emails=<key>`, which staff may still hold back) when it queued any."""
    if not emails_of_action(key).exists():
        return page
    return f"{page}?emails={key}#action-emails"


def hold_action(key: str, actor) -> int:
    """Hold back every email of one action that no worker has claimed yet (queued → held):
    a held email is never sent unless staff release it (`release_held`).

    Emails already sent, or being sent, are left alone (too late). Logs `email.held` per
    message. Returns how many were held.
    """
    ids = list(emails_of_action(key).values_list("pk", flat=True))
    with transaction.atomic():
        held = transition_messages(
            ids,
            MessageState.HELD,
            from_state=MessageState.QUEUED,
            changes={"next_attempt_at": None},
            actor=actor,
        )
    return len(held)


def discard_held(message_ids, actor) -> int:
    """Discard held messages (held back, or drafts held for review): they are kept in the
    outbox as "discarded" and never sent. Anything not held is left alone. Logs
    `email.discarded` per message. Returns how many were discarded."""
    message_ids = list(message_ids)
    with transaction.atomic():
        discarded = [
            message
            for from_state in sorted(MessageState.held())
            for message in transition_messages(
                message_ids, MessageState.DISCARDED, from_state=from_state, actor=actor
            )
        ]
    return len(discarded)


def retry_failed(message: OutboundMessage, actor) -> bool:
    """Staff ask for a failed message to be tried again. Logs `email.retried` and enqueues
    delivery after commit; False (nothing changed) unless the message had failed."""
    with transaction.atomic():
        retried = transition_messages(
            [message.pk],
            MessageState.QUEUED,
            from_state=MessageState.FAILED,
            changes={"next_attempt_at": timezone.now() + lease()},
            actor=actor,
            deliver="now",
        )
    if not retried:
        return False
    message.refresh_from_db()
    return True


def retry_due(now=None) -> int:
    """The periodic safety net: requeue "sending" rows whose lease expired (a worker died)
    and enqueue queued rows whose next attempt is due (back-off over, or a lost task).

    Each row enqueued has its next_attempt_at pushed a lease ahead, so a stopped worker does
    not pile up tasks. Returns how many deliveries were enqueued.
    """
    now = now or timezone.now()
    expired = Q(lease_expires_at__lte=now)
    due = Q(next_attempt_at__lte=now)
    with transaction.atomic():
        transition_messages(
            OutboundMessage.objects.filter(expired, state=MessageState.SENDING).values_list(
                "pk", flat=True
            ),
            MessageState.QUEUED,
            from_state=MessageState.SENDING,
            still=expired,
            changes={
                "lease_expires_at": None,
                "next_attempt_at": now,
                "last_error": (
                    "The worker stopped while sending; trying again with the same Message-ID."
                ),
            },
        )
        waiting = OutboundMessage.objects.filter(due, state__in=MessageState.awaiting_attempt())
        locked = lock_rows(waiting, waiting.values_list("pk", flat=True))
        OutboundMessage.objects.filter(pk__in=list(locked)).update(next_attempt_at=now + lease())
        for pk in locked:
            _deliver_after_commit(pk)
    return len(locked)


def deliver(message_id: int) -> MessageState | None:
    """Send one queued message (called by the worker). See the module docstring.

    Claims it (queued → sending, with a lease and a Message-ID kept for every attempt) in
    its own transaction, talks SMTP outside any, then records sent / queued again / failed.
    None when the message is not queued (sent already, or claimed by another worker).
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = transition_messages(
            [message_id],
            MessageState.SENDING,
            from_state=MessageState.QUEUED,
            changes=lambda message: {
                "attempts": message.attempts + 1,
                "lease_expires_at": now + lease(),
                "message_id": message.message_id or make_msgid(domain=_sender_domain()),
            },
        )
    if not claimed:
        return None
    [message] = claimed
    try:
        _email_for(message).send()
    except Exception as error:  # noqa: BLE001 - every failure is recorded, none is lost
        return _record_failure(message, error)
    with transaction.atomic():
        transition_messages(
            [message.pk],
            MessageState.SENT,
            from_state=MessageState.SENDING,
            changes={
                "sent_at": timezone.now(),
                "lease_expires_at": None,
                "next_attempt_at": None,
                "last_error": "",
            },
        )
    return MessageState.SENT


def classify_error(error: Exception) -> tuple[bool, str]:
    """(is_permanent, reason): 5xx replies about this message (its recipient, its content)
    are permanent; 4xx, refused connections, timeouts and our own account or sender being
    refused (a configuration problem that staff fix once for every message) are temporary;
    anything unexpected is treated as temporary (nothing is lost, and the attempt limit
    still ends it). A sealed sign-in email past its validity is permanent."""
    if isinstance(error, CannotOpen):
        return True, str(error)
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
        transition_messages(
            [message.pk],
            state,
            from_state=MessageState.SENDING,
            changes={
                "last_error": reason,
                "lease_expires_at": None,
                "next_attempt_at": next_attempt,
            },
            deliver="after back-off" if next_attempt is not None else None,
        )
    logger.warning("Email %s to %s: %s", message.pk, message.to, reason)
    return state


def _email_for(message: OutboundMessage) -> EmailMessage:
    headers = {**message.headers, "Message-ID": message.message_id}
    email = EmailMessage(
        message.subject,
        unseal(message.body) if message.is_sealed else message.body,
        to=[message.to],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
    )
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _deliver_after_commit(message_id: int, *, when=None) -> None:
    """Enqueue delivery to run after commit (`enqueue_after_commit`: with the database
    backend, in the caller's transaction); `when` defers it where the task backend can defer
    (otherwise `retry_due`, the periodic job, picks the row up when it is due)."""
    task = deliver_message
    if when is None:
        enqueue_after_commit(task, message_id)
    elif task.get_backend().supports_defer:
        enqueue_after_commit(task.using(run_after=when), message_id)


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
    query = Q(person_type=ContentType.objects.get_for_model(person), person_id=str(person.pk))
    email = getattr(person, "email", "")
    if email:
        query |= Q(to__iexact=email)
    return OutboundMessage.objects.filter(query)


def messages_about(*objects):
    query = Q(pk__in=[])
    for obj in objects:
        query |= Q(about_type=ContentType.objects.get_for_model(obj), about_id=str(obj.pk))
    return OutboundMessage.objects.filter(query)


def held_about(model, role: EmailRole) -> set[int]:
    """The primary keys of `model` rows that a held email of `role` is about (a draft held
    for review, or one staff held back): what their people have not been told yet."""
    about = OutboundMessage.objects.filter(
        about_type=ContentType.objects.get_for_model(model),
        role=role.value,
        state__in=MessageState.held(),
    ).values_list("about_id", flat=True)
    return {int(pk) for pk in about}


@retrying_task()
def deliver_message(message_id: int) -> str | None:
    """The task that sends one outbox message (skipped unless it is still queued). It is
    defined here, next to `deliver`, because the outbox queues it; `mail.tasks` lists it."""
    state = deliver(message_id)
    return state.value if state else None


@retrying_task()
def deliver_messages(message_ids: list[int]) -> int:
    """The task that sends a batch of outbox messages queued together (`queue_emails`), one
    after another exactly as `deliver_message` sends one (each skipped unless still queued,
    so a batch run again sends nothing twice). Returns how many were sent."""
    return sum(deliver(message_id) == MessageState.SENT for message_id in message_ids)


QUEUED_TOO_LONG = timedelta(minutes=15)


def health_check():
    """For the health checks (`core.health`): failing when an email has waited in the queue
    longer than QUEUED_TOO_LONG (the worker or the mail server is not taking them)."""
    now = timezone.now()
    queued = OutboundMessage.objects.filter(state=MessageState.QUEUED)
    stuck = queued.filter(queued_at__lt=now - QUEUED_TOO_LONG).count()
    given_up = OutboundMessage.objects.filter(state=MessageState.FAILED).count()
    detail = f"{queued.count()} queued, {stuck} waiting over 15 min, {given_up} failed in all"
    return Check("outbox", stuck == 0, detail)
