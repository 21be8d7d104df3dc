"""After publishing: keep the waiting lists moving and each student to one place per round.

A place that comes free (an offer declined, expired or withdrawn, or an accepted place
withdrawn) goes to the next student on the published waiting list (`promote_waiting_lists`,
queued after commit); an accepted place releases the student's other places in the round
(`release_other_places`); the periodic job expires offers past their reply-by time
(`expire_offers`). Every change of a place goes through `applications.domain.transition_place`.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.domain import log_activity
from microintern.core.errors import CapacityFull, TransitionNotAllowed
from microintern.core.locking import lock_row
from microintern.core.tasks import retrying_task
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

from .. import queries, wording
from ..enums import RunKind
from ..models import RoundMicroInternship, SelectionRun
from .inputs import ranks_higher
from .results import RoundResult


def after_place_change(interest, from_state: PlaceState, to_state: PlaceState) -> None:
    """Called by `transition_place` inside its transaction after every change.

    When a place comes free (an offer declined, expired or withdrawn, or an accepted place
    withdrawn), `promote_from_waitlist_task` is enqueued after commit; when a place is
    accepted, `release_other_places_task` (at most one place per student per round).
    Nothing happens for a micro-internship that is in no published round.
    """
    seat = PlaceState.holding_a_seat()
    freed = from_state in seat and to_state not in seat
    if not (freed or to_state == PlaceState.ACCEPTED):
        return
    if not queries.published_rounds_with(interest.micro_internship_id).exists():
        return
    if freed:
        transaction.on_commit(
            partial(promote_from_waitlist_task.enqueue, interest.micro_internship_id)
        )
    else:
        transaction.on_commit(partial(release_other_places_task.enqueue, interest.pk))


@retrying_task()
def promote_from_waitlist_task(micro_internship_id: int) -> int:
    """Offer any free places (on it, then on the rest of its round) to the next students
    waiting."""
    return len(promote_waiting_lists(micro_internship_id))


@retrying_task()
def release_other_places_task(interest_id: int) -> int:
    """After an acceptance, free the student's other places in the same round."""
    return len(release_other_places(interest_id))


def promote_waiting_lists(
    micro_internship_id: int, *, now: datetime | None = None
) -> list[ExpressionOfInterest]:
    """A place on the micro-internship came free: promote on it first, then on every other
    micro-internship of its published round(s) — the student who left may have been passed
    over there while they held this place (see `promote_from_waitlist`)."""
    ids = [micro_internship_id]
    for rid in queries.published_rounds_with(micro_internship_id).values_list("pk", flat=True):
        for other in RoundMicroInternship.objects.filter(round_id=rid).values_list(
            "micro_internship_id", flat=True
        ):
            if other not in ids:
                ids.append(other)
    return [offer for mi_id in ids for offer in promote_from_waitlist(mi_id, now=now)]


def promote_from_waitlist(
    micro_internship_id: int, *, now: datetime | None = None
) -> list[ExpressionOfInterest]:
    """Offer every free place to the next students on the published waiting list.

    Rules: only for a micro-internship whose selection is published and whose day has not
    begun; the order is the published waiting list (priority group, then lottery); only
    students still on the waiting list are offered, and not while they hold a place in the
    round that they ranked higher; capacity is checked under the
    micro-internship's row lock (inside `transition_place`), so a promotion can never
    overbook. Side effects: each offer goes through `transition_place` (logged, emailed,
    with a reply-by time). Returns the interests offered.
    """
    now = now or timezone.now()
    offered = []
    with transaction.atomic():
        mi = lock_row(MicroInternship, micro_internship_id)
        if mi.state != MicroInternshipState.SELECTION_PUBLISHED or now >= mi.starts_at:
            return []
        run = queries.published_run_for(mi)
        if run is None:
            return []
        waitlist = RoundResult.from_json(run.result).waitlist_for(mi.reference)
        free = mi.capacity - queries.seats_held(mi)
        if free <= 0 or not waitlist:
            return []
        waiting = {
            i.student.student_number: i
            for i in mi.interests.filter(state=PlaceState.WAITLISTED).select_related("student")
        }
        for position, sn in enumerate(waitlist, 1):
            if len(offered) == free:
                break
            interest = waiting.get(sn)
            if interest is None:
                continue
            elsewhere = (
                ExpressionOfInterest.objects.filter(
                    student=interest.student,
                    state__in=[PlaceState.OFFERED, PlaceState.ACCEPTED],
                    micro_internship__round_entries__round=run.round,
                )
                .select_related("micro_internship__challenge")
                .first()
            )
            if elsewhere is not None and ranks_higher(
                run.inputs, sn, elsewhere.micro_internship.reference, mi.reference
            ):
                continue  # they hold a place they prefer: this one goes to the next student
            reason = wording.promoted(position)
            if elsewhere is not None:
                held = elsewhere.micro_internship
                reason += " " + wording.promoted_while_holding(held.title, held.reference)
            try:
                transition_place(interest, PlaceState.OFFERED, reason=reason, now=now)
            except CapacityFull:
                break
            log_activity(interest, "selection.promoted", position=position, run=run.pk)
            offered.append(interest)
    return offered


def release_other_places(interest_id: int) -> list[ExpressionOfInterest]:
    """A student accepted a place: withdraw their other offered or accepted places in the
    same published round, so each student has at most one place per round and the freed
    places go to the next students waiting; their waiting-list places for micro-internships
    they ranked lower become "not selected" (they would never take them). Each change goes
    through `transition_place`."""
    interest = ExpressionOfInterest.objects.select_related(
        "micro_internship__challenge", "student"
    ).get(pk=interest_id)
    if interest.state != PlaceState.ACCEPTED:
        return []
    rounds = queries.published_rounds_with(interest.micro_internship)
    others = (
        ExpressionOfInterest.objects.filter(
            student_id=interest.student_id,
            state__in=[PlaceState.OFFERED, PlaceState.ACCEPTED],
            micro_internship__round_entries__round__in=rounds,
        )
        .exclude(pk=interest.pk)
        .distinct()
    )
    released = []
    mi = interest.micro_internship
    for other in others:
        transition_place(
            other,
            PlaceState.WITHDRAWN,
            reason=wording.released_after_accepting(mi.title, mi.reference),
        )
        released.append(other)
    sn = interest.student.student_number
    for run in SelectionRun.objects.filter(kind=RunKind.PUBLISHED, round__in=rounds):
        lower = ExpressionOfInterest.objects.filter(
            student_id=interest.student_id,
            state=PlaceState.WAITLISTED,
            micro_internship__round_entries__round=run.round,
        ).select_related("micro_internship")
        for waiting in lower:
            if ranks_higher(run.inputs, sn, mi.reference, waiting.micro_internship.reference):
                transition_place(
                    waiting,
                    PlaceState.NOT_SELECTED,
                    reason=wording.not_selected_after_accepting(mi.title, mi.reference),
                )
                released.append(waiting)
    return released


def expire_offers(now: datetime | None = None) -> str:
    """The periodic job: every offer past its reply-by time expires (which frees the place
    for the next student waiting). Each expiry is its own transaction through
    `transition_place`. Returns a short summary (empty when nothing expired)."""
    now = now or timezone.now()
    due = ExpressionOfInterest.objects.filter(
        state=PlaceState.OFFERED, offer_expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(due):
        interest = ExpressionOfInterest.objects.get(pk=pk)
        try:
            transition_place(interest, PlaceState.EXPIRED, reason=wording.OFFER_EXPIRED, now=now)
        except TransitionNotAllowed:
            continue  # answered in the meantime
        expired += 1
    return f"expired {expired} offers" if expired else ""
