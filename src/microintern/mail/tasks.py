"""Outbox tasks: thin, take ids, call `mail.outbox`. Both lock outbox rows, so a task that
finds them busy runs again a little later (`retrying_task`).

`deliver_message` is defined in `mail.outbox`, next to the function it runs, because the
outbox queues it after commit (a task the domain queues lives beside it, so the domain never
imports this module); it is listed here under the name queued tasks were stored with.
"""

from microintern.core.tasks import retrying_task

from . import outbox
from .outbox import deliver_message

__all__ = ["deliver_message", "retry_due"]


@retrying_task()
def retry_due() -> int:
    """Requeue messages whose lease expired or whose back-off is over."""
    return outbox.retry_due()
