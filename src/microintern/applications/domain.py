"""Expressions of interest and the place lifecycle: every change goes through here."""

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from microintern.accounts.domain import (
    NotAUniversityAddress,
    StudentNumberBelongsToSomeoneElse,
    student_for_interest,
)
from microintern.accounts.models import Student
from microintern.core.domain import (
    PreparedInsert,
    activity_entry,
    activity_for,
    log_activity,
    logging_together,
    prepare_insert,
    update_rows,
)
from microintern.core.errors import (
    CapacityFull,
    ChangedSinceRead,
    Refusal,
    TransitionNotAllowed,
)
from microintern.core.locking import current_images, lock_images, lock_row
from microintern.hosts.models import Challenge, Organisation
from microintern.mail.outbox import RenderedEmails, store_emails
from microintern.programme.domain import after_the_day, check_the_day_has_come
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

from . import hooks, notifications, ranking
from .enums import PLACE_TRANSITIONS, PlaceState, Source
from .models import ExpressionOfInterest

WORD = re.compile(r"\S+")
REPEAT_EMAIL_GAP = timedelta(hours=24)  # at most one "you had already told us" a day


class InterestRefused(Refusal):
    """An expression of interest that cannot be recorded; the message is for the student.

    `field` names the form field the message belongs by (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def count_words(text: str) -> int:
    """Words as a person counts them: runs of non-space characters."""
    return len(WORD.findall(text or ""))


def statement_word_limit() -> int:
    return settings.MICROINTERN["STATEMENT_WORD_LIMIT"]


def statement_character_limit() -> int:
    """About 13 characters a word (a long word and its space), rounded up to a hundred:
    150 words allow 2,000 characters. It stops one enormous "word" passing the word limit."""
    return math.ceil(statement_word_limit() * 13 / 100) * 100


def statement_too_long(statement: str) -> str:
    """Why the statement is over a limit, for the student; "" when it is within both."""
    if count_words(statement) > statement_word_limit():
        return gettext("Please keep your answer to %(limit)s words or fewer.") % {
            "limit": statement_word_limit()
        }
    if len(statement) > statement_character_limit():
        return gettext("Please keep your answer to %(limit)s characters or fewer.") % {
            "limit": f"{statement_character_limit():,}"
        }
    return ""


def ensure_open_for_interest(micro_internship: MicroInternship, at: datetime) -> None:
    """Raise InterestRefused unless the micro-internship takes interest at `at`."""
    if micro_internship.state != MicroInternshipState.OPEN or not (
        micro_internship.interest_opens_at <= at < micro_internship.interest_closes_at
    ):
        raise InterestRefused(
            gettext(
                "Sorry, %(reference)s is not open for interest at the moment. "
                "Please have a look at the other micro-internships that are open now."
            )
            % {"reference": micro_internship.reference}
        )


def record_interest(
    student,
    micro_internship: MicroInternship,
    *,
    statement: str,
    access_needs: str = "",
    can_attend: bool = True,
    source: Source = Source.WEB,
    actor=None,
    received_at: datetime | None = None,
    verified_at: datetime | None = None,
    choice: int | None = None,
    student_is_new: bool = False,
) -> ExpressionOfInterest:
    """Record a student's interest in an open micro-internship (one per student per day).

    Rules: the micro-internship must be open for interest; a web statement must be within
    the word and character limits, while an emailed one is kept whole and flagged for staff.
    The interest counts only once `verified_at` is set: pass it when the student has already
    shown the address is theirs and wrote it (signed in, or mail vouched for by our own
    server); otherwise the acknowledgement carries a confirm link and signing in shows it to
    keep or discard (see `verify_interest`, `keep_interest`, `discard_interest`). Side
    effects: logs `interest.received` and queues the acknowledgement email after commit;
    `choice` (1 = first, e.g. "my second choice" in an email) places it among the student's
    choices in its round (`ranking.place_choice`). `student_is_new` says the student was
    made in the caller's transaction, so no interest of theirs can exist yet (nothing to
    guard against). Raises InterestRefused with a message for the student.
    """
    received_at = received_at or timezone.now()
    ensure_open_for_interest(micro_internship, received_at)
    too_long = statement_too_long(statement)
    over_limit = bool(too_long)
    if over_limit and source == Source.WEB:
        raise InterestRefused(too_long)
    interest = ExpressionOfInterest(
        student=student,
        micro_internship=micro_internship,
        statement=statement.strip(),
        statement_over_limit=over_limit,
        access_needs=access_needs.strip(),
        can_attend=can_attend,
        source=source,
        received_at=received_at,
        verified_at=verified_at,
        state=PlaceState.RECEIVED,
        state_changed_at=received_at,
    )
    if student_is_new:
        interest.save(force_insert=True)
    else:
        _save_unless_already_interested(interest)
    log_activity(
        interest, "interest.received", actor=actor, source=source, verified=bool(verified_at)
    )
    if choice is not None:
        ranking.place_choice(interest, choice, actor=actor, how=source, now=received_at)
    notifications.queue_place_email(interest, None, PlaceState.RECEIVED)
    return interest


def _save_unless_already_interested(interest: ExpressionOfInterest) -> None:
    """Insert the new interest; InterestRefused when the student already has one for the
    same micro-internship (the database's constraint decides, even for two at once)."""
    try:
        with transaction.atomic():
            interest.save(force_insert=True)
    except IntegrityError as error:
        if ExpressionOfInterest.objects.filter(
            student=interest.student,
            micro_internship=interest.micro_internship,
            discarded_at__isnull=True,
        ).exists():
            raise InterestRefused(
                gettext(
                    "You have already said you are interested in this micro-internship. "
                    "You can see it on your “My micro-internships” page."
                )
            ) from error
        raise


@dataclass(frozen=True)
class WebInterest:
    """What happened to a web form submission. `already` means the student had told us before
    (the existing interest is returned and, for someone not signed in, only emailed about);
    `interest` is None when nothing was recorded and the typed address was emailed why."""

    interest: ExpressionOfInterest | None
    already: bool = False

    @property
    def counts_now(self) -> bool:
        """Whether the page may say the interest counts (never for a repeat or a refusal)."""
        return (
            self.interest is not None and self.interest.verified_at is not None and not self.already
        )


def record_web_interest(
    micro_internship: MicroInternship,
    *,
    full_name: str,
    email: str,
    student_number: str,
    statement: str,
    access_needs: str = "",
    can_attend: bool = True,
    signed_in_student=None,
    actor=None,
    now: datetime | None = None,
) -> WebInterest:
    """Record interest from the public web form, for a signed-in student or for anyone.

    Rules: a signed-in student has shown their address is theirs, so their interest counts at
    once; a second one for the same day is refused with a message. For anyone else the student
    is found by email (or created) through `accounts.domain.student_for_interest`, nothing on
    an existing record changes, and the interest counts only after the confirm link in the
    acknowledgement is used (or they sign in with a code and keep it). So that nobody learns
    what someone else has done by typing their address, a repeat from someone not signed in is
    answered by email only ("interest_already_received", with a fresh confirm link if needed,
    at most once in REPEAT_EMAIL_GAP).
    A student number on record with another address records nothing, and the page answers
    exactly as it does when the number is new (so numbers cannot be probed): the address typed
    is emailed why, with the statement ("interest_not_matched", at most once in
    REPEAT_EMAIL_GAP), and staff see the attempt
    (`interest.refused_number_on_record`). Side effects: those of `record_interest`; logs
    `interest.student_number_differs` for staff when the number typed is not the one on record.
    Raises InterestRefused (with `field` for the form). Two submissions making the same new
    student at the same moment: the database refuses the second student, and that submission
    is recorded again in a new transaction, where it finds the first one's student.
    """
    now = now or timezone.now()

    def record_in_one_transaction() -> WebInterest:
        with transaction.atomic(), logging_together():
            return _record_web_interest(
                micro_internship,
                full_name=full_name,
                email=email,
                student_number=student_number,
                signed_in_student=signed_in_student,
                now=now,
                fields={
                    "statement": statement,
                    "access_needs": access_needs,
                    "can_attend": can_attend,
                    "source": Source.WEB,
                    "actor": actor,
                    "received_at": now,
                },
            )

    try:
        try:
            return record_in_one_transaction()
        except IntegrityError:  # the same student made at the same moment (see above)
            return record_in_one_transaction()
    except NotAUniversityAddress as refusal:
        raise InterestRefused(str(refusal), field="email") from refusal
    except StudentNumberBelongsToSomeoneElse:
        recently_told = (
            activity_for(micro_internship)
            .filter(
                action="interest.refused_number_on_record",
                created_at__gte=now - REPEAT_EMAIL_GAP,
                data__email=email,
            )
            .exists()
        )
        log_activity(
            micro_internship,
            "interest.refused_number_on_record",
            actor=actor,
            email=email,
            student_number=student_number,
            statement=statement,
        )
        if not recently_told:  # at most one such email a day: the form cannot flood an inbox
            notifications.queue_not_matched_email(
                micro_internship,
                to=email,
                full_name=full_name,
                student_number=student_number,
                statement=statement,
            )
        return WebInterest(None)


def _record_web_interest(
    micro_internship, *, full_name, email, student_number, signed_in_student, now, fields
) -> WebInterest:
    ensure_open_for_interest(micro_internship, now)
    actor = fields["actor"]
    if signed_in_student is not None:
        interest = record_interest(signed_in_student, micro_internship, verified_at=now, **fields)
        return WebInterest(interest)
    match = student_for_interest(email=email, student_number=student_number, full_name=full_name)
    if match.created:  # made just now: nothing of theirs to repeat
        interest = record_interest(match.student, micro_internship, student_is_new=True, **fields)
        return WebInterest(interest)
    existing = ExpressionOfInterest.objects.filter(
        student=match.student, micro_internship=micro_internship, discarded_at__isnull=True
    ).first()
    if existing is not None:
        recently_told = (
            activity_for(existing)
            .filter(action="interest.repeated", created_at__gte=now - REPEAT_EMAIL_GAP)
            .exists()
        )
        log_activity(existing, "interest.repeated", actor=actor, source=Source.WEB)
        if not recently_told:  # the form cannot be used to flood someone's inbox
            notifications.queue_interest_email(existing, "interest_already_received")
        return WebInterest(existing, already=True)
    interest = record_interest(match.student, micro_internship, **fields)
    if match.number_differs:
        log_activity(interest, "interest.student_number_differs", typed=student_number)
    return WebInterest(interest)


def verify_interest(
    interest: ExpressionOfInterest, *, how: str, actor=None, now: datetime | None = None
) -> bool:
    """Mark that the student has shown the interest's address is theirs and kept what was
    sent in their name, so it counts.

    Rules: `how` is "link" (the button behind the confirm link in the acknowledgement, on a
    page showing the statement) or "kept" (signed in, they saw it and kept it); the first
    proof wins and later ones change nothing; a discarded interest is never verified.
    Side effects: sets `verified_at` and logs `interest.verified`. Returns whether anything
    changed.
    """
    now = now or timezone.now()
    changed = ExpressionOfInterest.objects.filter(
        pk=interest.pk, verified_at__isnull=True, discarded_at__isnull=True
    ).update(verified_at=now)
    if changed:
        interest.verified_at = now
        log_activity(interest, "interest.verified", actor=actor, how=how)
    else:
        interest.refresh_from_db(fields=["verified_at", "discarded_at"])
    return bool(changed)


def keep_interest(interest: ExpressionOfInterest, *, actor=None, now=None) -> bool:
    """The signed-in student saw an interest made in their name while signed out and said it
    was theirs: it counts from now. Side effects: as `verify_interest` (how "kept")."""
    return verify_interest(interest, how="kept", actor=actor, now=now)


DISCARDED_REASON = "You told us this was not you, so we discarded it. It never counted."


@transaction.atomic
def discard_interest(
    interest: ExpressionOfInterest, *, actor=None, now: datetime | None = None
) -> ExpressionOfInterest:
    """The student said someone else made this interest in their name: it is withdrawn
    through `transition_place` (without the "you have withdrawn" email) and marked discarded,
    so it never counts and the student may say they are interested themselves.

    Rules: only an interest not yet kept (`awaits_the_student`); otherwise
    TransitionNotAllowed with a sentence. Locks the micro-internship, then the place. Side
    effects: logs `place.withdrawn` and `interest.discarded`.
    """
    now = now or timezone.now()
    lock_row(MicroInternship, interest.micro_internship_id)
    locked = lock_row(ExpressionOfInterest, interest.pk)
    if not locked.awaits_the_student:
        raise TransitionNotAllowed.because(
            "This interest can no longer be discarded: it already counts or has been closed. "
            "You can withdraw it instead."
            if locked.verified_at
            else "This interest has already been discarded or closed."
        )
    transition_place(
        locked, PlaceState.WITHDRAWN, actor=actor, reason=DISCARDED_REASON, now=now, email=False
    )
    ExpressionOfInterest.objects.filter(pk=locked.pk).update(discarded_at=now)
    log_activity(locked, "interest.discarded", actor=actor, statement=locked.statement)
    interest.refresh_from_db()
    return interest


def offer_deadline(micro_internship: MicroInternship, now: datetime) -> datetime:
    """Reply-by time for a new offer: the configured hours, but never after the day starts."""
    hours = settings.MICROINTERN["OFFER_REPLY_HOURS"]
    return min(now + timedelta(hours=hours), micro_internship.starts_at)


@transaction.atomic
def transition_place(
    interest: ExpressionOfInterest,
    to_state: PlaceState,
    *,
    actor=None,
    reason: str = "",
    now: datetime | None = None,
    email: bool = True,
) -> ExpressionOfInterest:
    """The one way a place changes state.

    Rules: only moves in PLACE_TRANSITIONS; an offer needs a free seat (checked under a row
    lock on the micro-internship, so concurrent clicks can never overbook); an offer past its
    reply-by time cannot be accepted; nothing is offered or accepted on a cancelled
    micro-internship; attended and no-show (with their emails) wait for the day itself
    (`programme.domain.check_the_day_has_come`), and changing one into the other after the
    day is a correction that needs a `reason` (logged). Side effects: saves, logs
    `place.<state>` with the reason, queues the matching email after commit (unless `email`
    is False), and tells the apps above through `hooks.place_changed` (selection:
    waiting-list promotion when a place comes free). Locks the micro-internship, then the
    place (`core.locking`: a long wait raises `Busy`). A refusal changes and logs nothing.
    """
    now = now or timezone.now()
    to_state = PlaceState(to_state)
    mi = lock_row(
        MicroInternship.objects.select_related("challenge__organisation"),
        interest.micro_internship_id,
        of=("self",),
    )
    locked = lock_row(
        ExpressionOfInterest.objects.select_related("student"), interest.pk, of=("self",)
    )
    locked.micro_internship = mi  # the email below reads both, loaded with the locks
    from_state = PlaceState(locked.state)
    taken = None
    if to_state == PlaceState.OFFERED:
        taken = mi.interests.filter(state__in=PlaceState.holding_a_seat()).count()
    _move_place(locked, to_state, reason=reason, now=now, seats_taken=taken)
    locked.save(update_fields=PLACE_MOVE_FIELDS)
    log_activity(
        locked, f"place.{to_state.value}", actor=actor, from_state=from_state, reason=reason
    )
    if email:
        notifications.queue_place_email(locked, from_state, to_state)
    hooks.place_changed(locked, from_state, to_state)
    interest.refresh_from_db()
    return locked


ATTENDANCE_STATES = (PlaceState.ATTENDED, PlaceState.NO_SHOW)
CORRECTION_NEEDS_A_REASON = (
    "The day is over, so changing a mark is a correction: please say why (it is kept in the log)."
)
PLACE_MOVE_FIELDS = ["state", "state_changed_at", "offer_expires_at", "outcome_reason"]


def _move_place(locked, to_state: PlaceState, *, reason: str, now, seats_taken: int | None):
    """Check one move of a locked place (with its locked micro-internship and, for an
    offer, the seats already taken there) and set its fields, unsaved; refuses as
    `transition_place` says."""
    mi = locked.micro_internship
    from_state = PlaceState(locked.state)
    if to_state not in PLACE_TRANSITIONS[from_state]:
        raise TransitionNotAllowed("place", from_state.label, to_state.label)
    if mi.state == MicroInternshipState.CANCELLED and to_state in (
        PlaceState.OFFERED,
        PlaceState.ACCEPTED,
    ):
        raise TransitionNotAllowed.because(
            f"Sorry, {mi.reference} has been cancelled, so its places cannot be taken."
        )
    if (
        from_state == PlaceState.OFFERED
        and to_state == PlaceState.ACCEPTED
        and locked.offer_expires_at <= now
    ):
        raise TransitionNotAllowed.because(
            "This offer can no longer be accepted: the reply-by time "
            f"({timezone.localtime(locked.offer_expires_at):%A %-d %B at %H:%M}) has passed."
        )
    if to_state in ATTENDANCE_STATES:
        check_the_day_has_come(mi, "register", now)
        if from_state in ATTENDANCE_STATES and after_the_day(mi, now) and not reason.strip():
            raise TransitionNotAllowed.because(CORRECTION_NEEDS_A_REASON)
    if to_state == PlaceState.OFFERED:
        if seats_taken >= mi.capacity:
            raise CapacityFull.because(
                f"All {mi.capacity} places on {mi.reference} are already offered or accepted."
            )
        locked.offer_expires_at = offer_deadline(mi, now)
    locked.state = to_state
    locked.state_changed_at = now
    if reason:
        locked.outcome_reason = reason


def _save_moves(places: list[ExpressionOfInterest]) -> None:
    """Write the moved places' fields in one prepared UPDATE run for every place
    (`core.domain.update_rows`)."""
    update_rows(places, PLACE_MOVE_FIELDS)


@dataclass
class PlacesPlan:
    """Moves of many places checked and prepared by `plan_places` from rows read without a
    lock, for `apply_places` to write: the places as they will be (with the state they
    leave and enter), their log rows and rendered emails, and what every row read looked
    like (`core.locking.current_images`) with the seats counted, to check under the lock."""

    moved: list[tuple[ExpressionOfInterest, PlaceState, PlaceState]]
    entries: PreparedInsert
    emails: RenderedEmails
    images: dict[type, dict[int, tuple]]
    seats: dict[int, int]


def _seats_taken(mi_ids) -> dict[int, int]:
    return dict.fromkeys(mi_ids, 0) | dict(
        ExpressionOfInterest.objects.filter(
            micro_internship_id__in=mi_ids, state__in=PlaceState.holding_a_seat()
        )
        .values_list("micro_internship_id")
        .annotate(seats=Count("id"))
    )


def plan_places(
    moves: list[tuple[ExpressionOfInterest, PlaceState, str]], *, actor=None
) -> PlacesPlan:
    """Check and prepare many places changing state together, in the order given, as
    `transition_places` does, but only reading: nothing is locked or written, so on SQLite
    this may run before the write transaction (reads never wait for the write lock there).
    A refusal of any one move (the rules of `transition_place`, with the student's name)
    raises before anything is written. Hand the plan to `apply_places`."""
    now = timezone.now()
    mi_ids = {interest.micro_internship_id for interest, _, _ in moves}
    place_ids = [interest.pk for interest, _, _ in moves]
    places_moved = ExpressionOfInterest.objects.filter(pk__in=place_ids)
    mis_moved = MicroInternship.objects.filter(pk__in=mi_ids)
    images = {  # read before the rows the moves are made from, so that a change shows
        MicroInternship: current_images(mis_moved),
        Challenge: current_images(Challenge.objects.filter(pk__in=mis_moved.values("challenge"))),
        Organisation: current_images(
            Organisation.objects.filter(
                pk__in=Challenge.objects.filter(pk__in=mis_moved.values("challenge")).values(
                    "organisation"
                )
            )
        ),
        ExpressionOfInterest: current_images(places_moved),
        Student: current_images(Student.objects.filter(pk__in=places_moved.values("student"))),
    }
    mis = {mi.pk: mi for mi in mis_moved.select_related("challenge__organisation").order_by("pk")}
    places = {place.pk: place for place in places_moved.select_related("student")}
    seats = _seats_taken(mis)
    taken = dict(seats)
    holding = set(PlaceState.holding_a_seat())
    moved, entries = [], []
    for interest, to_state, reason in moves:
        place = places[interest.pk]
        mi = place.micro_internship = mis[place.micro_internship_id]
        from_state, to_state = PlaceState(place.state), PlaceState(to_state)
        try:
            _move_place(place, to_state, reason=reason, now=now, seats_taken=taken[mi.pk])
        except TransitionNotAllowed as refusal:  # say whose move it was
            raise type(refusal).because(f"{place.student.full_name}: {refusal}") from refusal
        taken[mi.pk] += (to_state in holding) - (from_state in holding)
        entries.append(
            activity_entry(
                place, f"place.{to_state.value}", actor=actor, from_state=from_state, reason=reason
            )
        )
        moved.append((place, from_state, to_state))
    emails = notifications.render_place_emails([(place, to) for place, _, to in moved])
    return PlacesPlan(moved, prepare_insert(entries), emails, images, seats)


def apply_places(plan: PlacesPlan) -> list[ExpressionOfInterest]:
    """Write a `plan_places` plan, inside the caller's transaction: lock the
    micro-internships, then the places (`core.locking`, key order), and check that every row
    the plan read, the seats it counted and the email wording it used are still as they
    were; if anything changed, `ChangedSinceRead` and nothing is written (plan again). Then
    the places are saved in one statement, their log rows and emails (delivery enqueued
    after commit) inserted in bulk, and `hooks.place_changed` told of each move. Returns
    the places."""
    images = plan.images
    if (
        lock_images(MicroInternship, images[MicroInternship]) != images[MicroInternship]
        or lock_images(ExpressionOfInterest, images[ExpressionOfInterest])
        != images[ExpressionOfInterest]
        or any(
            current_images(model, images[model]) != images[model]
            for model in (Student, Challenge, Organisation)
        )
        or _seats_taken(images[MicroInternship]) != plan.seats
        or not plan.emails.still_current()
    ):
        raise ChangedSinceRead()
    places = [place for place, _, _ in plan.moved]
    _save_moves(places)
    plan.entries.execute()
    store_emails(plan.emails)
    for place, from_state, to_state in plan.moved:
        hooks.place_changed(place, from_state, to_state)
    return places


PLAN_ATTEMPTS = 3  # plans made again when rows changed under them before `Busy` is raised


@transaction.atomic
def transition_places(moves: list[tuple[ExpressionOfInterest, PlaceState, str]], *, actor=None):
    """Many places changing state together (staff deciding many at once), in the order
    given: each move follows the rules of `transition_place`, and a refusal of any one
    changes nothing at all.

    Side effects as for each `transition_place` (saved, logged `place.<state>` with the
    reason, its email queued, `hooks.place_changed`), written in a few statements: the moves
    are checked and prepared (`plan_places`), then the micro-internships and the places are
    locked once, checked unchanged, and rows, log entries and emails go in bulk
    (`apply_places`). Rows changed by someone else between the two are planned again, up to
    PLAN_ATTEMPTS times (then `ChangedSinceRead`, a `Busy`). Returns the places.
    """
    for attempt in range(1, PLAN_ATTEMPTS + 1):
        try:
            return apply_places(plan_places(moves, actor=actor))
        except ChangedSinceRead:
            if attempt == PLAN_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def after_micro_internship_change(mi, from_state, to_state) -> None:
    """Registered with `programme.hooks`: a cancelled micro-internship's students still in
    the running are emailed, with the reason (queued in the caller's transaction)."""
    if to_state == MicroInternshipState.CANCELLED:
        notifications.micro_internship_cancelled(mi)


ATTENDANCE_MARKS = {"present": "attended", "late": "attended", "absent": "no_show"}
LATE_REASON = "Arrived late."


def record_attendance(
    mi: MicroInternship,
    marks: dict[int, str],
    *,
    actor=None,
    reason: str = "",
    now: datetime | None = None,
):
    """Apply the day's register: `marks` maps an expression of interest's id to "present",
    "late" or "absent".

    Rules: the register opens on the day itself (UK date of `starts_at`); before it,
    `NotYetTheDay` names the day and nothing is saved or emailed. Only students with an
    accepted place (or already marked) are on the register; present and late become
    attended (late is recorded as the reason), absent becomes no-show, each through
    `transition_place` (which logs and sends the thank-you or the kind no-show email).
    After the day, changing a mark already recorded is a correction: it needs `reason`
    (logged with the move, after "Arrived late." for a late mark); without one
    TransitionNotAllowed is raised before anything changes. Unchanged marks do nothing.
    Returns (changed, problems).
    """
    now = now or timezone.now()
    check_the_day_has_come(mi, "register", now)
    reason = reason.strip()
    changed, problems, moves = 0, [], []
    on_register = mi.interests.filter(
        pk__in=list(marks), state__in=PlaceState.on_the_register()
    ).select_related("student")
    for interest in on_register:
        mark = marks[interest.pk]
        to_state = ATTENDANCE_MARKS.get(mark)
        if to_state is None or to_state == interest.state:
            continue
        moves.append((interest, mark, PlaceState(to_state)))
    corrections = [i for i, _, _ in moves if i.state in ATTENDANCE_STATES]
    if corrections and after_the_day(mi, now) and not reason:
        raise TransitionNotAllowed.because(CORRECTION_NEEDS_A_REASON)
    for interest, mark, to_state in moves:
        why = reason if interest in corrections else ""
        if mark == "late":
            why = f"{LATE_REASON} {why}".strip()
        try:
            transition_place(interest, to_state, actor=actor, reason=why, now=now)
            changed += 1
        except TransitionNotAllowed as error:
            problems.append(f"{interest.student.full_name}: {error}")
    return changed, problems


TEAM_STATES = (PlaceState.ACCEPTED, PlaceState.ATTENDED, PlaceState.NO_SHOW)


CERTIFICATE_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O or U, so a printed code reads back without doubt."""
CERTIFICATE_CODE_LENGTH = 12
"""60 random bits: guessing a code that exists is out of reach."""


def certificate_code(interest: ExpressionOfInterest) -> str:
    """The code printed on the student's certificate: made the first time a certificate is
    built and kept from then on (each PDF of the same place carries the same code). Anyone
    with the code can check the certificate on the public page."""
    if interest.certificate_code:
        return interest.certificate_code
    code = "".join(
        secrets.choice(CERTIFICATE_CODE_ALPHABET) for _ in range(CERTIFICATE_CODE_LENGTH)
    )
    ExpressionOfInterest.objects.filter(pk=interest.pk, certificate_code__isnull=True).update(
        certificate_code=code
    )
    interest.refresh_from_db(fields=["certificate_code"])
    return interest.certificate_code


def normal_certificate_code(typed: str) -> str:
    """A code as a person may type it (spaces, hyphens, lower case, O for 0, I or L for 1)
    in the form it is stored."""
    code = re.sub(r"[\s-]", "", typed).upper()
    return code.translate(str.maketrans("OIL", "011"))


def team_of(mi: MicroInternship) -> list[ExpressionOfInterest]:
    """The students who accepted a place on `mi` (and, after the day, took part or not)."""
    return list(
        mi.interests.filter(state__in=TEAM_STATES)
        .select_related("student")
        .order_by("student__full_name")
    )


@transaction.atomic
def message_team(mi: MicroInternship, *, subject: str, message: str, actor) -> int:
    """Email what staff wrote to everyone in `mi`'s team (`team_of`), one email each.

    Side effects: one outbox row per student (role `team_message`), sent after commit; logs
    `micro_internship.team_messaged` with the subject and how many. Refuses an empty team.
    Returns how many were emailed.
    """
    team = team_of(mi)
    if not team:
        raise TransitionNotAllowed.because("Nobody has accepted a place yet: there is no team.")
    mi = MicroInternship.objects.select_related("challenge__organisation").get(pk=mi.pk)
    for place in team:
        place.micro_internship = mi
    notifications.queue_team_message(team, subject=subject, message=message)
    log_activity(
        mi, "micro_internship.team_messaged", actor=actor, email_subject=subject, to=len(team)
    )
    return len(team)
