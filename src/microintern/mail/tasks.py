"""Outbox tasks: thin, take ids, call `mail.outbox`. Both lock outbox rows, so a task that
finds them busy runs again a little later (`retrying_task`)."""

from microintern.core.tasks import retrying_task

from . import outbox


@retrying_task()
def deliver_message(message_id: int) -> str | None:
    """Send one outbox message (skipped unless it is still queued)."""
    state = outbox.deliver(message_id)
    return state.value if state else None


@retrying_task()
def retry_due() -> int:
    """Requeue messages whose lease expired or whose back-off is over."""
    return outbox.retry_due()
