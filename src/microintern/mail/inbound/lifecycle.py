"""The lifecycle of an inbound message: the only code that writes `InboundMessage.state`.

A message is stored, then processed into one final state; a person may act on one still
in triage, set aside or quarantined (`MessageState.reopenable`); one that became an interest
stays so. The allowed moves are `INBOUND_MESSAGE_TRANSITIONS`.

One message moves through `transition_message` (lock, check, save, log). A batch of
messages, locked together with `lock_messages`, is moved by `settle` (check each move and
set it, unsaved) and `write_settled` (every row in one statement, every log together): the
pipeline's speed depends on writing a batch at once.
"""

import logging
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone

from microintern.core.domain import activity_entry, log_activities, update_rows
from microintern.core.errors import TransitionNotAllowed
from microintern.core.locking import lock_row, lock_rows
from microintern.core.models import ActivityLog

from .enums import INBOUND_MESSAGE_TRANSITIONS, MessageState
from .models import InboundMessage

logger = logging.getLogger(__name__)

# What every move writes (`settle`).
MOVE_FIELDS = [
    "state",
    "reason",
    "reason_code",
    "restore_state",
    "restore_reason",
    "restore_code",
]
# What processing writes (never the raw bytes: they are written once, when stored).
PROCESSING_FIELDS = [
    *MOVE_FIELDS,
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
    """Where a message goes, and why (for staff); `code` groups the reason (`ReasonCode`)."""

    state: MessageState
    reason: str
    code: str = ""


def can_move(from_state: str, to_state: str) -> bool:
    return MessageState(to_state) in INBOUND_MESSAGE_TRANSITIONS[MessageState(from_state)]


def lock_messages(ids) -> list[InboundMessage]:
    """Lock these messages (in key order, within the lock timeout, else `Busy`) for a move;
    returns those found, in the order they were stored, without their bytes (`raw` is
    deferred: up to 50 messages of up to 10 MB each are locked together)."""
    return list(lock_rows(InboundMessage.objects.defer("raw"), ids).values())


def lock_message(pk: int) -> InboundMessage:
    """Lock one message (see `lock_messages`); DoesNotExist when it is not there."""
    return lock_row(InboundMessage, pk)


def settle(
    message: InboundMessage,
    outcome: Outcome,
    *,
    actor=None,
    from_state: str | None = None,
    action: str = "",
    **data,
) -> ActivityLog:
    """Move a locked message to `outcome` in memory (not saved); return its log entry.

    Rule: only moves in INBOUND_MESSAGE_TRANSITIONS from `from_state` (the message's own
    state when not given), else `TransitionNotAllowed` and nothing changes. Side effects:
    state, reason, reason code and `processed_at` set on `message` (moving into "set aside"
    from triage or quarantine also remembers where it was, `restore_state`); the log entry is
    `inbound.<state>` with the reason (or `action` with `data`); after commit, a line in the
    log file. The caller saves: `transition_message` one message, `write_settled` a batch.
    """
    was = MessageState(from_state or message.state)
    to = MessageState(outcome.state)
    if to not in INBOUND_MESSAGE_TRANSITIONS[was]:
        raise TransitionNotAllowed("message", was.label, to.label)
    if to == MessageState.SET_ASIDE and was != MessageState.SET_ASIDE:
        reopenable = was in {MessageState.TRIAGE, MessageState.QUARANTINED}
        message.restore_state = was.value if reopenable else ""
        message.restore_reason = message.reason if reopenable else ""
        message.restore_code = message.reason_code if reopenable else ""
    message.state = to
    message.reason = outcome.reason
    message.reason_code = outcome.code
    message.processed_at = timezone.now()
    transaction.on_commit(
        partial(logger.info, "Inbound message #%s: %s (%s)", message.pk, to, outcome.reason)
    )
    if not action:
        action, data = f"inbound.{to}", {"reason": outcome.reason, "kind": message.kind}
    return activity_entry(message, action, actor=actor, **data)


def write_settled(messages: list[InboundMessage], entries: list[ActivityLog]) -> None:
    """Save the batch `settle` moved (and what processing found) in one statement, and the
    batch's log entries together."""
    update_rows(messages, PROCESSING_FIELDS)
    log_activities(entries)


def transition_message(
    message: InboundMessage,
    outcome: Outcome,
    *,
    actor=None,
    fields=PROCESSING_FIELDS,
    action: str = "",
    **data,
) -> None:
    """The one way a single message changes state.

    Rules: the row is locked (`lock_row`: key order, lock timeout, `Busy`) and the move
    checked against INBOUND_MESSAGE_TRANSITIONS from its state in the database
    (`TransitionNotAllowed` otherwise; nothing changes). Side effects: saves the state, the
    reason and `fields` (what the caller changed on `message`); logs `inbound.<state>`, or
    `action` with `data`; after commit, a line in the log file.
    """
    with transaction.atomic():
        current = lock_row(InboundMessage.objects.only("state"), message.pk)
        entry = settle(
            message, outcome, actor=actor, from_state=current.state, action=action, **data
        )
        message.save(update_fields=list(dict.fromkeys([*MOVE_FIELDS, *fields])))
        entry.save()
