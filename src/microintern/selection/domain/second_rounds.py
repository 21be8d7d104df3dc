"""Second rounds: a draw for the places left once a published round's waiting lists are used.

After publishing, a freed place goes to the next student waiting; a place nobody waits for
stays empty. Staff can then set up a second round over the micro-internships of a published
round that still have places, nobody on their waiting list and a day not yet begun. It is an
ordinary round (its own seed and fingerprint, policy, dry runs, overrides, publishing through
`rounds`), whose draw considers the students not yet placed in the first round: those who
confirmed their interest too late for it, and those left without a place (for example after
declining the higher choice they were offered). Students holding a place in the first round
take no part.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from microintern.applications.enums import PlaceState
from microintern.core.domain import log_activity
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

from .. import commitment, engine, queries
from ..errors import SelectionRefused
from ..models import RoundMicroInternship, SelectionRound
from .rounds import _staff, new_seed


def places_left(
    first: SelectionRound, *, now: datetime | None = None
) -> list[tuple[MicroInternship, int]]:
    """The micro-internships of published round `first` a second round can fill, with their
    free places: selection published, the day not begun, places free, nobody waiting, and in
    no other round not yet published."""
    now = now or timezone.now()
    left = []
    for entry in first.entries.select_related("micro_internship__challenge"):
        mi = entry.micro_internship
        if mi.state != MicroInternshipState.SELECTION_PUBLISHED or now >= mi.starts_at:
            continue
        free = mi.capacity - queries.seats_held(mi)
        waiting = mi.interests.filter(state=PlaceState.WAITLISTED).exists()
        if free > 0 and not waiting and not queries.rounds_not_published_of([mi.pk]):
            left.append((mi, free))
    return left


@transaction.atomic
def create_second_round(
    first: SelectionRound, *, name: str = "", actor=None, now: datetime | None = None
) -> SelectionRound:
    """Set up a second round for the places `first` (published) has left after its waiting
    lists are used (`places_left`), with a fresh secret seed whose fingerprint is public at
    once, the first round's priority order and each micro-internship's reserve and cap.

    Rules: `first` must be published and have such places. Logs
    `selection.second_round_created`.
    """
    if not first.is_published:
        raise SelectionRefused.because(
            "A second round is for places left after a published round: publish this one first."
        )
    left = places_left(first, now=now)
    if not left:
        raise SelectionRefused.because(
            f"No micro-internship of “{first.name}” has a place left that nobody waits for "
            "(and a day still to come), so there is nothing for a second round to fill."
        )
    seed = new_seed()
    entries = {e.micro_internship_id: e for e in first.entries.all()}
    second = SelectionRound(
        name=name.strip() or f"{first.name}: second round",
        priority=list(first.priority),
        seed=seed,
        seed_commitment=engine.seed_commitment(seed),
        analysis_plan=first.analysis_plan,
        created_by=_staff(actor),
    )
    second.policy = commitment.canonical_policy(
        second.priority,
        (
            {
                "reference": mi.reference,
                "capacity": mi.capacity,
                "reserve": [entries[mi.pk].reserve_group, entries[mi.pk].reserve_seats]
                if entries[mi.pk].reserve_seats
                else None,
                "programme_cap": entries[mi.pk].programme_cap,
            }
            for mi, _free in left
        ),
    )
    second.commitment = commitment.commitment(
        second.seed_commitment, second.policy, second.analysis_plan
    )
    second.save()
    RoundMicroInternship.objects.bulk_create(
        RoundMicroInternship(
            round=second,
            micro_internship=mi,
            reserve_group=entries[mi.pk].reserve_group,
            reserve_seats=entries[mi.pk].reserve_seats,
            programme_cap=entries[mi.pk].programme_cap,
        )
        for mi, _free in left
    )
    log_activity(
        second,
        "selection.second_round_created",
        actor=actor,
        after_round=first.pk,
        micro_internships={mi.reference: free for mi, free in left},
        priority=second.priority,
        seed_commitment=second.seed_commitment,
        commitment=second.commitment,
        policy=second.policy,
    )
    return second
