"""Expressions of interest and the place lifecycle: every change goes through here."""

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from microintern.core.domain import log_activity
from microintern.core.errors import CapacityFull, TransitionNotAllowed
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

from . import notifications
from .enums import PLACE_TRANSITIONS, PlaceState, Source
from .models import ExpressionOfInterest

WORD = re.compile(r"\S+")


class InterestRefused(Exception):
    """An expression of interest that cannot be recorded; the message is for the student."""


def count_words(text: str) -> int:
    """Words as a person counts them: runs of non-space characters."""
    return len(WORD.findall(text or ""))


def statement_word_limit() -> int:
    return settings.MICROINTERN["STATEMENT_WORD_LIMIT"]


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
) -> ExpressionOfInterest:
    """Record a student's interest in an open micro-internship (one per student per day).

    Rules: the micro-internship must be open for interest; a web statement must be within
    the word limit, while an emailed one is kept whole and flagged for staff. Side effects:
    logs `interest.received` and queues the acknowledgement email after commit.
    Raises InterestRefused with a message for the student.
    """
    received_at = received_at or timezone.now()
    if micro_internship.state != MicroInternshipState.OPEN or not (
        micro_internship.interest_opens_at <= received_at < micro_internship.interest_closes_at
    ):
        raise InterestRefused(
            f"{micro_internship.reference} is not open for interest at the moment."
        )
    over_limit = count_words(statement) > statement_word_limit()
    if over_limit and source == Source.WEB:
        raise InterestRefused(
            f"Please keep your answer to {statement_word_limit()} words or fewer."
        )
    try:
        with transaction.atomic():
            interest = ExpressionOfInterest.objects.create(
                student=student,
                micro_internship=micro_internship,
                statement=statement.strip(),
                statement_over_limit=over_limit,
                access_needs=access_needs.strip(),
                can_attend=can_attend,
                source=source,
                received_at=received_at,
                state=PlaceState.RECEIVED,
                state_changed_at=received_at,
            )
    except IntegrityError as error:
        if ExpressionOfInterest.objects.filter(
            student=student, micro_internship=micro_internship
        ).exists():
            raise InterestRefused(
                "You have already said you are interested in this micro-internship. "
                "You can see it on your “My micro-internships” page."
            ) from error
        raise
    log_activity(interest, "interest.received", actor=actor, source=source)
    notifications.queue_place_email(interest, None, PlaceState.RECEIVED)
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
) -> ExpressionOfInterest:
    """The one way a place changes state.

    Rules: only moves in PLACE_TRANSITIONS; an offer needs a free seat (checked under a row
    lock on the micro-internship, so concurrent clicks can never overbook); an offer past its
    reply-by time cannot be accepted. Side effects: saves, logs `place.<state>` with the
    reason, and queues the matching email after commit. A refusal changes and logs nothing.
    """
    now = now or timezone.now()
    to_state = PlaceState(to_state)
    mi = MicroInternship.objects.select_for_update().get(pk=interest.micro_internship_id)
    locked = ExpressionOfInterest.objects.select_for_update().get(pk=interest.pk)
    from_state = PlaceState(locked.state)
    if to_state not in PLACE_TRANSITIONS[from_state]:
        raise TransitionNotAllowed("place", from_state.label, to_state.label)
    if (
        from_state == PlaceState.OFFERED
        and to_state == PlaceState.ACCEPTED
        and locked.offer_expires_at <= now
    ):
        raise TransitionNotAllowed.because(
            "This offer can no longer be accepted: the reply-by time "
            f"({timezone.localtime(locked.offer_expires_at):%A %-d %B at %H:%M}) has passed."
        )
    if to_state == PlaceState.OFFERED:
        taken = mi.interests.filter(state__in=PlaceState.holding_a_seat()).count()
        if taken >= mi.capacity:
            raise CapacityFull.because(
                f"All {mi.capacity} places on {mi.reference} are already offered or accepted."
            )
        locked.offer_expires_at = offer_deadline(mi, now)
    locked.state = to_state
    locked.state_changed_at = now
    if reason:
        locked.outcome_reason = reason
    locked.save(update_fields=["state", "state_changed_at", "offer_expires_at", "outcome_reason"])
    log_activity(
        locked, f"place.{to_state.value}", actor=actor, from_state=from_state, reason=reason
    )
    notifications.queue_place_email(locked, from_state, to_state)
    interest.refresh_from_db()
    return locked
