"""Inbound mail tasks: thin, take ids, call `inbound.imap` / `inbound.pipeline`."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from microintern.core.health import Check

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


def health_check():
    """For the health checks (`core.health`): failing when an active mailbox has not been
    polled within three poll intervals (at least 10 minutes)."""
    seconds = settings.MICROINTERN_PERIODIC_JOBS.get(
        "microintern.mail.inbound.tasks.poll_mailboxes", 60
    )
    since = timezone.now() - max(timedelta(seconds=3 * seconds), timedelta(minutes=10))
    active = Mailbox.objects.filter(active=True)
    late = sorted(m.name for m in active if m.last_polled_at is None or m.last_polled_at < since)
    if late:
        return Check("mailboxes", False, f"not polled lately: {', '.join(late)}")
    return Check("mailboxes", True, f"{active.count()} polled on time")
