"""After publishing: keep the waiting lists moving and each student to one place per round.

A place that comes free (an offer declined, expired or withdrawn, or an accepted place
withdrawn) goes to the next student on the published waiting list (`promote_waiting_lists`,
queued after commit); an accepted place releases the student's other places in the round
(`release_other_places`); the periodic job expires offers past their reply-by time
(`expire_offers`). Every change of a place goes through `applications.domain.transition_place`.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from microintern.mail.enums import EmailRole
from microintern.mail.outbox import held_about
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
    round that they ranked higher. Reserves are kept as in the draw: while fewer students of
    the reserved group hold places than the draw kept for it, a free place goes to the first
    student of that group waiting, if one waits (otherwise to the next student). The
    programme cap is soft here as in the draw: nobody is passed over for it, and an offer
    that takes a team over it is logged on the round for staff
    (`selection.promoted_over_cap`). Capacity
    is checked under the micro-internship's row lock (inside `transition_place`), so a
    promotion can never overbook. Side effects: each offer goes through `transition_place`
    (logged, emailed, with a reply-by time). Returns the interests offered.
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
        policy = _Policy.of(run, mi)
        queue = [sn for sn in waitlist if sn in waiting]
        while len(offered) < free and queue:
            sn, reserved = policy.next_in(queue)
            queue.remove(sn)
            interest = waiting[sn]
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
            position = waitlist.index(sn) + 1
            if reserved:
                reason = wording.promoted_to_a_reserved_place(
                    position, policy.reserve_group, policy.labels
                )
            else:
                reason = wording.promoted(position)
            if elsewhere is not None:
                held = elsewhere.micro_internship
                reason += " " + wording.promoted_while_holding(held.title, held.reference)
            try:
                transition_place(interest, PlaceState.OFFERED, reason=reason, now=now)
            except CapacityFull:
                break
            policy.took_a_place(sn, interest.student.programme)
            log_activity(
                interest,
                "selection.promoted",
                position=position,
                run=run.pk,
                reserved_for=policy.reserve_group if reserved else None,
            )
            over = policy.over_cap(interest.student.programme)
            if over:
                log_activity(
                    run.round,
                    "selection.promoted_over_cap",
                    micro_internship=mi.reference,
                    student=sn,
                    programme=interest.student.programme,
                    team=over,
                )
            offered.append(interest)
    return offered


@dataclass
class _Policy:
    """The round's reserve and programme cap for one micro-internship, and who holds its
    places now (by priority group and programme), for promotion."""

    reserve_group: int | None
    reserved_places: int
    programme_cap: int | None
    groups: dict[str, int | None]  # student number → priority group in the published run
    holders: list[tuple[int | None, str]]  # (group, programme) of each seat holder
    labels: dict[int, str]

    @classmethod
    def of(cls, run: SelectionRun, mi: MicroInternship) -> _Policy:
        entry = RoundMicroInternship.objects.get(round_id=run.round_id, micro_internship=mi)
        result = RoundResult.from_json(run.result)
        groups = {s.student_number: s.group for s in result.students}
        drawn = next((m for m in run.inputs["micro_internships"] if m["id"] == mi.reference), {})
        reserve = drawn.get("reserve")  # [group, places the draw kept], or None
        holders = [
            (groups.get(i.student.student_number), i.student.programme)
            for i in mi.interests.filter(state__in=PlaceState.holding_a_seat()).select_related(
                "student"
            )
        ]
        return cls(
            reserve_group=reserve[0] if reserve else None,
            reserved_places=reserve[1] if reserve else 0,
            programme_cap=entry.programme_cap,
            groups=groups,
            holders=holders,
            labels={int(k): v for k, v in result.groups.items()},
        )

    def _reserve_short(self) -> bool:
        held = sum(1 for group, _programme in self.holders if group == self.reserve_group)
        return self.reserve_group is not None and held < self.reserved_places

    def next_in(self, queue: list[str]) -> tuple[str, bool]:
        """The next student to offer a free place to, and whether it is a reserved place:
        the first of the reserved group while its places are not all held, else the first."""
        if self._reserve_short():
            for sn in queue:
                if self.groups.get(sn) == self.reserve_group:
                    return sn, True
        return queue[0], False

    def took_a_place(self, sn: str, programme: str) -> None:
        self.holders.append((self.groups.get(sn), programme))

    def over_cap(self, programme: str) -> int:
        """How many of the team are from `programme`, when that is over the soft cap (else 0)."""
        count = sum(1 for _group, p in self.holders if p == programme)
        return count if self.programme_cap is not None and count > self.programme_cap else 0


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
    for the next student waiting), except an offer whose email staff are still holding:
    its student has not been told of it yet. Each expiry is its own transaction through
    `transition_place`. Returns a short summary (empty when nothing expired)."""
    now = now or timezone.now()
    due = ExpressionOfInterest.objects.filter(
        state=PlaceState.OFFERED, offer_expires_at__lte=now
    ).values_list("pk", flat=True)
    untold = held_about(ExpressionOfInterest, EmailRole.PLACE_OFFERED)
    expired = 0
    for pk in [pk for pk in due if pk not in untold]:
        interest = ExpressionOfInterest.objects.get(pk=pk)
        try:
            transition_place(interest, PlaceState.EXPIRED, reason=wording.OFFER_EXPIRED, now=now)
        except TransitionNotAllowed:
            continue  # answered in the meantime
        expired += 1
    return f"expired {expired} offers" if expired else ""
