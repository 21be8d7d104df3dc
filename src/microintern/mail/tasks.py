"""Outbox tasks: thin, take ids, call `mail.outbox`. All lock outbox rows, so a task that
finds them busy runs again a little later (`retrying_task`).

`deliver_message` and `deliver_messages` are defined in `mail.outbox`, next to the function
they run, because the outbox queues them after commit (a task the domain queues lives beside
it, so the domain never imports this module); they are listed here under the names queued
tasks were stored with.
"""

from microintern.core.tasks import retrying_task

from . import outbox
from .outbox import deliver_message, deliver_messages

__all__ = ["deliver_message", "deliver_messages", "retry_due"]


@retrying_task()
def retry_due() -> int:
    """Requeue messages whose lease expired or whose back-off is over."""
    return outbox.retry_due()
