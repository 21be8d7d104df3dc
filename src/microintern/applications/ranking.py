"""A student's ranking of their choices: which micro-internship they would most like.

`preference_rank` orders all of a student's interests (1 = the one they would most like);
interests without one follow in the order they were received (`ranked`, the order the draw
uses). A student sees and changes the ranking per selection round not yet published (the
choices that compete in the same draw, through `hooks.ranking_scopes`), on "My
micro-internships" (move up, move down), in the interest form ("Where does this come among
your choices?") and by email ("my first choice"). Moving one choice past another is allowed
only while both are still open for interest: once interest has closed, the ranking the draw
uses can no longer change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from microintern.core.domain import log_activity
from microintern.core.errors import Refusal

from . import hooks
from .enums import PlaceState
from .models import ExpressionOfInterest

ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
)
NOT_IN_A_ROUND = 0  # the scope of choices not yet in any selection round


class RankingRefused(Refusal):
    """A ranking change that cannot be made; the message is for the student."""


def ordinal(choice: int) -> str:
    """1 → "first", 13 → "13th": a choice as the student ranked it (any number of choices)."""
    if 1 <= choice <= len(ORDINALS):
        return ORDINALS[choice - 1]
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(choice % 10, "th")
    if choice % 100 in (11, 12, 13):
        suffix = "th"
    return f"{choice}{suffix}"


def ranked(interests) -> list[ExpressionOfInterest]:
    """Interests best first: by `preference_rank` where given, then in the order received
    (ranked ones before unranked ones). The draw orders a student's choices the same way."""
    return sorted(
        interests,
        key=lambda i: (i.preference_rank is None, i.preference_rank or 0, i.received_at, i.pk),
    )


def is_open(interest: ExpressionOfInterest, now: datetime) -> bool:
    """Whether this choice can still move: it awaits the draw and interest has not closed."""
    return (
        interest.state == PlaceState.RECEIVED and now < interest.micro_internship.interest_closes_at
    )


@dataclass(frozen=True)
class Choices:
    """A student's choices that compete in one draw, best first. `round_name` is empty for
    choices not yet in a selection round."""

    scope: int
    round_name: str
    interests: list[ExpressionOfInterest]

    def position_of(self, interest: ExpressionOfInterest) -> int:
        """1 = first choice."""
        return [i.pk for i in self.interests].index(interest.pk) + 1


def choices_of(student, *, exclude: ExpressionOfInterest | None = None) -> list[Choices]:
    """The student's choices awaiting the draw, grouped by the round they compete in. An
    interest made in their name that they have not kept yet is not a choice: it does not
    count until they keep it."""
    waiting = list(
        student.interests.filter(state=PlaceState.RECEIVED, verified_at__isnull=False)
        .exclude(pk=exclude.pk if exclude else None)
        .select_related("micro_internship__challenge")
    )
    scopes = hooks.ranking_scopes([i.micro_internship_id for i in waiting])
    groups: dict[int, Choices] = {}
    for interest in ranked(waiting):
        scope, name = scopes.get(interest.micro_internship_id, (NOT_IN_A_ROUND, ""))
        groups.setdefault(scope, Choices(scope, name, [])).interests.append(interest)
    return sorted(groups.values(), key=lambda c: (c.scope == NOT_IN_A_ROUND, c.scope))


def choices_with(interest: ExpressionOfInterest) -> Choices:
    """The choices `interest` competes with (itself included). Raises RankingRefused when
    it no longer awaits the draw."""
    for choices in choices_of(interest.student):
        if interest.pk in {i.pk for i in choices.interests}:
            return choices
    raise RankingRefused(
        f"The draw for “{interest.micro_internship.title}” has been made, so it can no longer "
        "move among your choices."
    )


def _closed_refusal(interest: ExpressionOfInterest) -> RankingRefused:
    mi = interest.micro_internship
    return RankingRefused(
        f"Interest has closed for “{mi.title}” ({mi.reference}), so your ranking of it can no "
        "longer change: the draw uses the order your choices had when interest closed."
    )


def _renumber(student, order: list[ExpressionOfInterest]) -> None:
    """Give every interest of the student its place in `order` (1, 2, ...), with the ones
    not in it following in their current order."""
    listed = {i.pk for i in order}
    rest = [i for i in ranked(student.interests.all()) if i.pk not in listed]
    everything = [*order, *rest]
    for rank, interest in enumerate(everything, 1):
        interest.preference_rank = rank
    ExpressionOfInterest.objects.bulk_update(everything, ["preference_rank"])


def _global_order(student) -> list[ExpressionOfInterest]:
    return ranked(student.interests.select_related("micro_internship"))


@transaction.atomic
def move_choice(
    interest: ExpressionOfInterest, direction: str, *, actor=None, now: datetime | None = None
) -> int:
    """Move a choice one place up (`"up"`) or down (`"down"`) among the choices it competes
    with in its round. Rules: both choices that swap must still be open for interest; the
    first cannot go up nor the last down. Side effects: renumbers the student's
    `preference_rank`s, logs `interest.ranked`. Returns the choice's new position (1 = first).
    Raises RankingRefused with a sentence for the student."""
    now = now or timezone.now()
    choices = choices_with(interest)
    position = choices.position_of(interest)
    other_position = position - 1 if direction == "up" else position + 1
    if not 1 <= other_position <= len(choices.interests):
        where = "first" if direction == "up" else "last"
        raise RankingRefused(f"“{interest.micro_internship.title}” is already your {where} choice.")
    other = choices.interests[other_position - 1]
    for one in (interest, other):
        if not is_open(one, now):
            raise _closed_refusal(one)
    order = _global_order(interest.student)
    pks = [i.pk for i in order]
    a, b = pks.index(interest.pk), pks.index(other.pk)
    order[a], order[b] = order[b], order[a]
    _renumber(interest.student, order)
    log_activity(interest, "interest.ranked", actor=actor, position=other_position, how="moved")
    return other_position


def insertable_positions(choices: Choices, now: datetime) -> list[int]:
    """Where a new choice may go among `choices` (1 = first): anywhere below every choice
    whose interest has closed, since those can no longer be passed."""
    closed = [n for n, i in enumerate(choices.interests, 1) if not is_open(i, now)]
    lowest = max(closed, default=0) + 1
    return list(range(lowest, len(choices.interests) + 2))


@transaction.atomic
def place_choice(
    interest: ExpressionOfInterest,
    position: int,
    *,
    actor=None,
    how: str = "form",
    now: datetime | None = None,
) -> int:
    """Put a new choice at `position` (1 = first) among the choices it competes with.

    Rules: a position above a choice whose interest has closed moves down to just below it;
    one past the end is last. Side effects: renumbers the student's `preference_rank`s and
    logs `interest.ranked` (with `how`: "form" or "email"). Returns the position it got."""
    now = now or timezone.now()
    others = next(
        (
            c
            for c in choices_of(interest.student, exclude=interest)
            if c.scope == _scope_of(interest)
        ),
        None,
    )
    peers = others.interests if others else []
    allowed = insertable_positions(Choices(0, "", peers), now)
    position = min(max(position, allowed[0]), allowed[-1])
    order = [i for i in _global_order(interest.student) if i.pk != interest.pk]
    if position <= len(peers):
        at = [i.pk for i in order].index(peers[position - 1].pk)
    elif peers:
        at = [i.pk for i in order].index(peers[-1].pk) + 1
    else:
        at = len(order)
    order.insert(at, interest)
    _renumber(interest.student, order)
    log_activity(interest, "interest.ranked", actor=actor, position=position, how=how)
    return position


def _scope_of(interest: ExpressionOfInterest) -> int:
    return _scope_of_micro_internship(interest.micro_internship_id)


def _scope_of_micro_internship(micro_internship_id: int) -> int:
    return hooks.ranking_scopes([micro_internship_id]).get(
        micro_internship_id, (NOT_IN_A_ROUND, "")
    )[0]


def choices_in_round_of(student, micro_internship) -> Choices | None:
    """The student's other choices in the round `micro_internship` is in (for the interest
    form's "Where does this come among your choices?"), or None when it is in no round not
    yet published or they have no other choice there."""
    scope = _scope_of_micro_internship(micro_internship.pk)
    if scope == NOT_IN_A_ROUND:
        return None
    return next(
        (
            c
            for c in choices_of(student)
            if c.scope == scope
            and all(i.micro_internship_id != micro_internship.pk for i in c.interests)
        ),
        None,
    )
