"""Scheduling micro-internships and moving them through their lifecycle."""

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from microintern.core.domain import log_activity
from microintern.core.errors import TransitionNotAllowed
from microintern.core.locking import lock_row
from microintern.hosts.domain import transition_challenge
from microintern.hosts.enums import ChallengeState
from microintern.mail.outbox import queue_email

from . import hooks, notifications
from .enums import MICRO_INTERNSHIP_TRANSITIONS, MicroInternshipState
from .models import DETAIL_FIELDS, MicroInternship


def next_reference(year: int) -> str:
    """The next free public reference for `year`, e.g. MI-2026-007."""
    prefix = f"MI-{year}-"
    used = MicroInternship.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    highest = max((int(r.removeprefix(prefix)) for r in used), default=0)
    return f"{prefix}{highest + 1:03d}"


def schedule_micro_internship(
    challenge, *, actor=None, subject_area: str | None = None, **fields
) -> MicroInternship:
    """Create a draft micro-internship for an accepted (or already scheduled) challenge.

    Gives it the next public reference for its year (retrying if another request took it),
    logs `micro_internship.scheduled`, tells the apps above (`hooks.micro_internship_scheduled`:
    the API's webhooks), moves an accepted challenge to "scheduled", sets the challenge's
    `subject_area` when given (students filter by it) and emails the host the date with a
    calendar invitation.
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                if subject_area is not None and subject_area != challenge.subject_area:
                    challenge.subject_area = subject_area
                    challenge.save(update_fields=["subject_area"])
                mi = MicroInternship(challenge=challenge, **fields)
                mi.reference = next_reference(timezone.localtime(mi.starts_at).year)
                mi.save()
                log_activity(mi, "micro_internship.scheduled", actor=actor)
                hooks.micro_internship_scheduled(mi)
                if challenge.state == ChallengeState.ACCEPTED:
                    transition_challenge(challenge, ChallengeState.SCHEDULED, actor=actor)
                notifications.micro_internship_scheduled(mi)
                return mi
        except IntegrityError as error:
            if "reference" not in str(error).lower():
                raise
    raise RuntimeError("Could not allocate a reference code after 5 attempts.")


COPIED_ON_DUPLICATE = (
    "venue_address",
    "accessibility_notes",
    "travel_notes",
    "what_to_bring",
    "capacity",
    "facilitator",
)
"""What a duplicate takes from the original besides its challenge (host, challenge text,
subject area): never its day, its interest window, its state or its students."""


def duplicate_micro_internship(
    original: MicroInternship,
    *,
    starts_at: datetime,
    ends_at: datetime,
    interest_opens_at: datetime,
    interest_closes_at: datetime,
    actor=None,
    subject_area: str | None = None,
    **changes,
) -> MicroInternship:
    """Run the challenge of `original` again on a new day (e.g. next term).

    Rules: the challenge must still be one staff may schedule (an archived one is refused,
    saying so); the copy takes the original's venue, access and travel notes, what to
    bring, capacity and facilitator (`COPIED_ON_DUPLICATE`), overridden by `changes`, and
    the new day and interest window given (and the challenge's `subject_area`, when
    given, as scheduling sets it). It starts as a draft with no students and no
    places; the original is not changed. Side effects: those of
    `schedule_micro_internship` (a new reference, the host emailed the date), and
    `micro_internship.duplicated` logged on the copy with the original's reference.
    """
    challenge = original.challenge
    if not challenge.can_be_scheduled:
        raise TransitionNotAllowed.because(
            f"The challenge “{challenge.title}” is {challenge.get_state_display().lower()}: "
            "accept it again before running it on another day."
        )
    fields = {name: getattr(original, name) for name in COPIED_ON_DUPLICATE}
    fields.update((name, value) for name, value in changes.items() if name in COPIED_ON_DUPLICATE)
    with transaction.atomic():
        copy = schedule_micro_internship(
            challenge,
            actor=actor,
            subject_area=subject_area,
            starts_at=starts_at,
            ends_at=ends_at,
            interest_opens_at=interest_opens_at,
            interest_closes_at=interest_closes_at,
            **fields,
        )
        log_activity(copy, "micro_internship.duplicated", actor=actor, original=original.reference)
    return copy


class NotYetTheDay(TransitionNotAllowed):
    """Something that belongs to the day itself (the register, completion, the thank-you,
    no-show and certificate emails) asked for before the day; the message names the day."""


# What waits for the day, in the words staff read (`{day}`: "Wednesday 13 January 2027").
ON_THE_DAY = {
    "register": "The register opens on {day}, the day itself.",
    "completion": "This micro-internship can be marked completed from {day}, the day itself.",
    "certificate": "Certificates are issued from {day}, the day itself.",
}


def the_day(mi: MicroInternship) -> date:
    """The micro-internship's day: the UK date (`TIME_ZONE`, Europe/London) of its start."""
    return timezone.localdate(mi.starts_at, timezone.get_default_timezone())


def day_in_words(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def not_yet_the_day(mi: MicroInternship, what: str, now: datetime | None = None) -> str:
    """The sentence for `what` (a key of ON_THE_DAY) while `now` is before the day; "" from
    the day itself (UK midnight) onward. Pages show it in place of an action not yet open."""
    today = timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
    day = the_day(mi)
    return ON_THE_DAY[what].format(day=day_in_words(day)) if today < day else ""


def check_the_day_has_come(mi: MicroInternship, what: str, now: datetime | None = None) -> None:
    """The one check for everything tied to the date (register, attended and no-show marks
    with their emails, completion, certificates), used by every path that does them: raise
    `NotYetTheDay` before the day, naming it; change nothing."""
    if message := not_yet_the_day(mi, what, now):
        raise NotYetTheDay.because(message)


def after_the_day(mi: MicroInternship, now: datetime | None = None) -> bool:
    """Whether the UK date of `now` is later than the day: a mark changed now is a
    correction."""
    return timezone.localdate(now or timezone.now(), timezone.get_default_timezone()) > the_day(mi)


def check_micro_internship_move(
    mi: MicroInternship, to_state: MicroInternshipState, reason: str = "", now=None
) -> None:
    """Raise `TransitionNotAllowed` (saying why) if `mi` may not move to `to_state` with
    this reason; change nothing. A view may ask before it asks staff to confirm. Completion
    waits for the day (`check_the_day_has_come`)."""
    from_state = MicroInternshipState(mi.state)
    to_state = MicroInternshipState(to_state)
    if to_state not in MICRO_INTERNSHIP_TRANSITIONS[from_state]:
        raise TransitionNotAllowed("micro-internship", from_state.label, to_state.label)
    if to_state == MicroInternshipState.CANCELLED and not reason.strip():
        raise TransitionNotAllowed.because("Cancelling needs a reason that we can tell people.")
    if to_state == MicroInternshipState.COMPLETED:
        check_the_day_has_come(mi, "completion", now)


@transaction.atomic
def transition_micro_internship(
    mi: MicroInternship, to_state: MicroInternshipState, *, actor=None, reason: str = ""
) -> MicroInternship:
    """Move a micro-internship along draft → open → closed → selection published →
    completed → evaluated, or to cancelled (which needs a reason).

    Refuses a move the lifecycle does not allow, naming both states, and completion before
    the day (UK date of `starts_at`), naming the day; saves and logs
    `micro_internship.<state>`; tells the apps above (`hooks.micro_internship_changed`:
    applications emails every student still in the running of a cancellation). A
    cancellation emails the host, with the reason; completion invites the host's feedback.
    The row is locked through `core.locking` (a long wait raises `Busy`).
    """
    locked = lock_row(MicroInternship, mi.pk)
    from_state = MicroInternshipState(locked.state)
    to_state = MicroInternshipState(to_state)
    check_micro_internship_move(locked, to_state, reason)
    locked.state = to_state
    locked.state_changed_at = timezone.now()
    if to_state == MicroInternshipState.CANCELLED:
        locked.cancel_reason = reason.strip()
    locked.save(update_fields=["state", "state_changed_at", "cancel_reason"])
    log_activity(
        locked,
        f"micro_internship.{to_state.value}",
        actor=actor,
        from_state=from_state,
        reason=reason,
    )
    hooks.micro_internship_changed(locked, from_state, to_state)
    notifications.micro_internship_moved(locked, to_state)
    mi.refresh_from_db()
    return locked


def apply_interest_windows(now=None) -> str:
    """The periodic job that keeps interest windows on their dates.

    Rules: a draft whose window has begun (and not ended) opens; an open one whose window
    has ended closes. Each move goes through `transition_micro_internship` (logged, actor
    None: the system). Returns a short summary (empty when nothing moved).
    """
    now = now or timezone.now()
    opened = closed = 0
    for mi in MicroInternship.objects.filter(
        state=MicroInternshipState.DRAFT, interest_opens_at__lte=now, interest_closes_at__gt=now
    ):
        transition_micro_internship(mi, MicroInternshipState.OPEN)
        opened += 1
    for mi in MicroInternship.objects.filter(
        state=MicroInternshipState.OPEN, interest_closes_at__lte=now
    ):
        transition_micro_internship(mi, MicroInternshipState.CLOSED)
        closed += 1
    return f"opened {opened}, closed {closed}" if opened or closed else ""


def set_interest_window_now(mi: MicroInternship, *, open_it: bool, actor=None) -> MicroInternship:
    """Open or close the interest window by hand, now.

    Opening moves the opening time to now (if later) so students can say they are
    interested at once; closing moves the closing time to now. Then the state moves through
    `transition_micro_internship` (which refuses moves the lifecycle does not allow).
    """
    now = timezone.now()
    with transaction.atomic():
        locked = lock_row(MicroInternship, mi.pk)
        if open_it:
            if locked.interest_closes_at <= now:
                raise TransitionNotAllowed.because(
                    "The closing time has passed: change the dates before opening again."
                )
            locked.interest_opens_at = min(locked.interest_opens_at, now)
            to_state = MicroInternshipState.OPEN
        else:
            locked.interest_closes_at = max(now, locked.interest_opens_at + timedelta(seconds=1))
            to_state = MicroInternshipState.CLOSED
        locked.save(update_fields=["interest_opens_at", "interest_closes_at"])
        return transition_micro_internship(locked, to_state, actor=actor)


@transaction.atomic
def update_micro_internship(mi: MicroInternship, data: dict, *, actor=None) -> MicroInternship:
    """Save staff changes to a micro-internship's details (capacity, facilitator, venue,
    dates): `data` holds new values by field name (`DETAIL_FIELDS`, `starts_at`, `ends_at`;
    other keys are ignored).

    Refuses a capacity below the places already offered or taken (`hooks.places_taken`,
    under the row lock). Saves the changed fields and logs `micro_internship.updated` with
    their names. The database constraints still apply (capacity 1–10, dates in order).
    """
    locked = lock_row(MicroInternship, mi.pk)
    taken = hooks.places_taken(locked)
    capacity = data.get("capacity", locked.capacity)
    if capacity < taken:
        raise TransitionNotAllowed.because(
            f"{taken} places are already offered or taken; capacity cannot be lower."
        )
    changed = []
    for field in (*DETAIL_FIELDS, "starts_at", "ends_at"):
        if field in data and getattr(locked, field) != data[field]:
            setattr(locked, field, data[field])
            changed.append(field)
    if changed:
        locked.save(update_fields=changed)
    log_activity(locked, "micro_internship.updated", actor=actor, fields=changed)
    mi.refresh_from_db()
    return locked


@transaction.atomic
def message_host(mi: MicroInternship, *, subject: str, message: str, actor) -> str:
    """Email what staff wrote to the host contact of `mi`'s challenge (`host_message`).

    Side effects: one outbox row, sent after commit; logs `micro_internship.host_messaged`
    with the subject. Returns the contact's address.
    """
    mi = MicroInternship.objects.select_related(
        "challenge__organisation", "challenge__contact"
    ).get(pk=mi.pk)
    contact = mi.challenge.contact
    queue_email(
        "host_message",
        to=contact.email,
        context={
            "contact": contact,
            "organisation": mi.challenge.organisation,
            "mi": mi,
            "subject": subject,
            "message": message,
        },
        person=contact,
        about=mi,
    )
    log_activity(mi, "micro_internship.host_messaged", actor=actor, email_subject=subject)
    return contact.email
