"""Inbound mail tasks: thin, take ids, call `inbound.imap` / `inbound.pipeline`."""

from django_tasks import task

from . import imap, pipeline
from .models import Mailbox


@task()
def poll_mailbox(mailbox_id: int) -> str:
    """Poll one mailbox (skipped if another poller holds it)."""
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    try:
        return str(imap.poll(mailbox))
    except imap.MailboxBusy:
        return f"{mailbox.name}: another poller is running"


@task()
def process_message(message_id: int) -> str | None:
    state = pipeline.process_message(message_id)
    return str(state) if state else None


def poll_mailboxes() -> int:
    """Periodic job: enqueue a poll of every active mailbox, and process anything left only
    stored (by a poller or import that stopped halfway). Returns how many polls it queued."""
    ids = list(Mailbox.objects.filter(active=True).values_list("pk", flat=True))
    for pk in ids:
        poll_mailbox.enqueue(pk)
    pipeline.process_pending(limit=100)
    return len(ids)
