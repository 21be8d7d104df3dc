"""Scheduling micro-internships and moving them through their lifecycle."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from microintern.core.domain import log_activity
from microintern.core.errors import TransitionNotAllowed
from microintern.hosts.domain import transition_challenge
from microintern.hosts.enums import ChallengeState

from . import notifications
from .enums import MICRO_INTERNSHIP_TRANSITIONS, MicroInternshipState
from .models import MicroInternship


def next_reference(year: int) -> str:
    """The next free public reference for `year`, e.g. MI-2026-007."""
    prefix = f"MI-{year}-"
    used = MicroInternship.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    highest = max((int(r.removeprefix(prefix)) for r in used), default=0)
    return f"{prefix}{highest + 1:03d}"


def schedule_micro_internship(challenge, *, actor=None, **fields) -> MicroInternship:
    """Create a draft micro-internship for an accepted challenge and mark it scheduled.

    Gives it the next public reference for its year (retrying if another request took it),
    logs `micro_internship.scheduled`, moves the challenge to "scheduled" and emails the
    host the date with a calendar invitation.
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                mi = MicroInternship(challenge=challenge, **fields)
                mi.reference = next_reference(timezone.localtime(mi.starts_at).year)
                mi.save()
                log_activity(mi, "micro_internship.scheduled", actor=actor)
                if challenge.state == ChallengeState.ACCEPTED:
                    transition_challenge(challenge, ChallengeState.SCHEDULED, actor=actor)
                notifications.micro_internship_scheduled(mi)
                return mi
        except IntegrityError as error:
            if "reference" not in str(error).lower():
                raise
    raise RuntimeError("Could not allocate a reference code after 5 attempts.")


@transaction.atomic
def transition_micro_internship(
    mi: MicroInternship, to_state: MicroInternshipState, *, actor=None, reason: str = ""
) -> MicroInternship:
    """Move a micro-internship along draft → open → closed → selection published →
    completed → evaluated, or to cancelled (which needs a reason).

    Refuses a move the lifecycle does not allow, naming both states; saves and logs
    `micro_internship.<state>`. A cancellation emails every student still in the running
    and the host, with the reason; completion invites the host's feedback.
    """
    locked = MicroInternship.objects.select_for_update().get(pk=mi.pk)
    from_state = MicroInternshipState(locked.state)
    to_state = MicroInternshipState(to_state)
    if to_state not in MICRO_INTERNSHIP_TRANSITIONS[from_state]:
        raise TransitionNotAllowed("micro-internship", from_state.label, to_state.label)
    if to_state == MicroInternshipState.CANCELLED and not reason.strip():
        raise TransitionNotAllowed.because("Cancelling needs a reason that we can tell people.")
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
        locked = MicroInternship.objects.select_for_update().get(pk=mi.pk)
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


def update_micro_internship(mi: MicroInternship, form, *, actor=None) -> MicroInternship:
    """Save staff changes to a micro-internship's details (capacity, facilitator, venue,
    dates). Refuses a capacity below the places already offered or taken. Logs
    `micro_internship.updated` with the changed fields."""
    from microintern.applications.enums import PlaceState

    with transaction.atomic():
        MicroInternship.objects.select_for_update().get(pk=mi.pk)
        taken = mi.interests.filter(state__in=PlaceState.holding_a_seat()).count()
        if form.cleaned_data["capacity"] < taken:
            raise TransitionNotAllowed.because(
                f"{taken} places are already offered or taken; capacity cannot be lower."
            )
        saved = form.save()
        log_activity(saved, "micro_internship.updated", actor=actor, fields=form.changed_data)
        return saved


ATTENDANCE_MARKS = {"present": "attended", "late": "attended", "absent": "no_show"}
LATE_REASON = "Arrived late."


def record_attendance(mi: MicroInternship, marks: dict[int, str], *, actor=None):
    """Apply the day's register: `marks` maps an expression of interest's id to "present",
    "late" or "absent".

    Rules: only students with an accepted place (or already marked) are on the register;
    present and late become attended (late is recorded as the reason), absent becomes
    no-show, each through `transition_place` (which logs and sends the thank-you or the
    kind no-show email). Unchanged marks do nothing. Returns (changed, problems).
    """
    from microintern.applications.domain import transition_place
    from microintern.applications.enums import PlaceState

    changed, problems = 0, []
    on_register = mi.interests.filter(
        pk__in=list(marks),
        state__in=[PlaceState.ACCEPTED, PlaceState.ATTENDED, PlaceState.NO_SHOW],
    ).select_related("student")
    for interest in on_register:
        mark = marks[interest.pk]
        to_state = ATTENDANCE_MARKS.get(mark)
        if to_state is None or to_state == interest.state:
            continue
        try:
            transition_place(
                interest,
                PlaceState(to_state),
                actor=actor,
                reason=LATE_REASON if mark == "late" else "",
            )
            changed += 1
        except TransitionNotAllowed as error:
            problems.append(f"{interest.student.full_name}: {error}")
    return changed, problems
