"""Outbox tasks: thin, take ids, call `mail.outbox`."""

from django_tasks import task

from . import outbox


@task()
def deliver_message(message_id: int) -> str | None:
    """Send one outbox message (skipped unless it is still queued)."""
    state = outbox.deliver(message_id)
    return state.value if state else None


@task()
def retry_due() -> int:
    """Requeue messages whose lease expired or whose back-off is over."""
    return outbox.retry_due()
