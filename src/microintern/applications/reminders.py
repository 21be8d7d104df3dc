"""Reminder emails two days and one day before a micro-internship, for accepted places.

`send_due_reminders(now)` is a plain, idempotent function: the periodic runner
(`python -m microintern run_periodic`, settings.MICROINTERN_PERIODIC_JOBS) calls
`run_due_reminders` every few minutes; the `send_due_reminders_task` task does the same from
a worker. A SentReminder row (unique per place and kind) is written in the same transaction
as the email is queued, so no student ever gets the same reminder twice.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from microintern.programme.enums import MicroInternshipState

from . import notifications
from .enums import PlaceState
from .models import ExpressionOfInterest, ReminderKind, SentReminder

# kind -> how long before the start it becomes due. A place accepted late gets only the
# reminders still ahead of it: the one-day reminder is never preceded by a stale two-day one.
REMINDER_LEAD = {
    ReminderKind.TWO_DAYS: timedelta(days=2),
    ReminderKind.ONE_DAY: timedelta(days=1),
}


def send_due_reminders(now: datetime) -> int:
    """Queue every reminder that is due at `now` and not yet sent; return how many.

    Rules: only accepted places on micro-internships that are not cancelled; a kind is due
    from its lead time before the start until the next (shorter) kind is due, and never after
    the start; a place accepted after a kind was due skips that kind. Side effects: one
    SentReminder row and one queued email (`reminder_two_days` / `reminder_one_day`) each.
    """
    sent = 0
    leads = sorted(REMINDER_LEAD.items(), key=lambda item: item[1], reverse=True)
    for position, (kind, lead) in enumerate(leads):
        until = leads[position + 1][1] if position + 1 < len(leads) else timedelta(0)
        due = (
            ExpressionOfInterest.objects.filter(
                state=PlaceState.ACCEPTED,
                micro_internship__starts_at__gt=now + until,
                micro_internship__starts_at__lte=now + lead,
                # accepted after this reminder was due: the confirmation email is fresh enough
                state_changed_at__lte=F("micro_internship__starts_at") - lead,
            )
            .exclude(micro_internship__state=MicroInternshipState.CANCELLED)
            .exclude(reminders__kind=kind)
            .select_related("student", "micro_internship__challenge__organisation")
        )
        for interest in due:
            sent += _send_once(interest, kind, now)
    return sent


def _send_once(interest: ExpressionOfInterest, kind: ReminderKind, now: datetime) -> int:
    try:
        with transaction.atomic():
            SentReminder.objects.create(interest=interest, kind=kind, sent_at=now)
            notifications.queue_interest_email(interest, f"reminder_{kind.value}")
    except IntegrityError:  # another runner got there first
        return 0
    return 1


def run_due_reminders() -> int:
    """Entry point for the periodic runner (no arguments)."""
    return send_due_reminders(timezone.now())


@task()
def send_due_reminders_task() -> int:
    return send_due_reminders(timezone.now())
