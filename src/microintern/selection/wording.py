"""Every sentence a student reads about selection, and the result's words staff check.

Outcome reasons (stored on the place and sent by email), waiting-list promotions, released
places, cut-off and team-balance lines, and the priority group labels of the public round
page are all written here, so the tone and the facts stay the same everywhere. The lottery
part of an explanation ("Priority group 1 ... Lottery position 4 of 23 ...") is written by
`lottery_explanation` from the engine's structured explanation and who took the places each
missed choice had (`Competition`), so that every clause says exactly what happened.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from microintern.applications.ranking import ordinal

from . import engine
from .enums import EVERYONE_ELSE, PriorityGroup

SET_ASIDE = {
    "cannot_attend": "You told us you could not come on the day, so we could not offer you "
    "this place.",
    "placed": "You already have a place on a micro-internship in this round.",
    "not_enrolled": "We could not find you on the university's student record, so we could "
    "not offer you a place. If you study here, please contact the Business Clinic and we will "
    "sort it out.",
}

OFFER_EXPIRED = "The reply-by time passed without an answer."


def group_labels(priority: list[str]) -> dict[int, str]:
    """Priority group number → plain label, e.g. {1: "never taken part ...", 2: ..., 3: ...}."""
    labels = {i: PriorityGroup(key).label for i, key in enumerate(priority, 1)}
    labels[len(priority) + 1] = EVERYONE_ELSE
    return labels


# ------------------------------------------------------------- outcome of a run


@dataclass(frozen=True, slots=True)
class Competition:
    """The places a student competed for on a choice they missed, and who took them:
    `places` in the draw (the open ones only, when some were kept for a group the student is
    not in), of which `higher` went to students in a higher priority group than theirs."""

    places: int
    higher: int


def competition(allocation: engine.Allocation, student_tier: int, reference: str) -> Competition:
    """Who took the places `reference` had for a student of `student_tier`, from the engine's
    allocation: its whole team, or its open places when some were kept for another group."""
    out = allocation.micro_internships[reference]
    tiers = [allocation.explanations[m].tier for m in out.team]
    reserve = out.reserve
    if reserve is not None and reserve.tier != student_tier and out.reserved_filled:
        kept = [i for i, t in enumerate(tiers) if t == reserve.tier][: out.reserved_filled]
        tiers = [t for i, t in enumerate(tiers) if i not in kept]
    return Competition(len(tiers), sum(1 for t in tiers if t < student_tier))


def _group(tier: int | None, labels: Mapping[int, str]) -> str:
    label = labels.get(tier) if tier is not None else None
    return f"priority group {tier} ({label})" if label else f"priority group {tier}"


def _places(n: int) -> str:
    return "1 place" if n == 1 else f"{n} places"


def missed_clause(miss: engine.Missed, labels: Mapping[int, str], seen: Competition) -> str:
    """Why the student did not get a choice ranked above what they got, exactly: who took
    the places they could have had, and any places kept for another group."""
    choice = f"your {ordinal(miss.choice)} choice"
    if miss.reason == engine.RESERVED:
        return (
            f"all the places on {choice} were kept for {_group(miss.reserved_tier, labels)}, "
            "and students of that group took them"
        )
    same = seen.places - seen.higher
    if same == 0:
        whom = (
            "a student in a higher priority group than yours"
            if seen.places == 1
            else "students in higher priority groups than yours"
        )
        text = f"{_places(seen.places)} in the draw for {choice} went to {whom}"
        if seen.places > 1:
            text = "all " + text
    else:
        last = miss.cutoff.tier_position
        earlier = (
            "a student in your priority group with an earlier lottery position"
            if same == 1
            else "students in your priority group with earlier lottery positions"
        )
        if seen.higher:
            text = (
                f"of the {_places(seen.places)} in the draw for {choice}, {seen.higher} went to "
                f"{'a student' if seen.higher == 1 else 'students'} in a higher priority group "
                f"than yours and {same} to {earlier}"
            )
        elif seen.places == 1:
            text = f"the 1 place in the draw for {choice} went to {earlier}"
        else:
            text = f"all {_places(seen.places)} in the draw for {choice} went to {earlier}"
        text += f" (the last to lottery position {last})"
    if miss.reserved_taken:
        text += (
            f", after {_places(miss.reserved_taken)} kept for "
            f"{_group(miss.reserved_tier, labels)} went to that group"
        )
    return text


def lottery_explanation(
    explanation: engine.Explanation,
    labels: Mapping[int, str],
    competitions: Mapping[str, Competition],
) -> str:
    """The lottery part of an outcome's reason: group, lottery position, one exact clause per
    missed choice (`competitions` maps each missed reference to who took its places), the
    choice offered, and the waiting-list positions."""
    e = explanation
    label = labels.get(e.tier)
    parts = [f"Priority group {e.tier}: {label}." if label else f"Priority group {e.tier}."]
    parts.append(f"Lottery position {e.tier_position} of {e.tier_size}.")
    clauses = [
        missed_clause(miss, labels, competitions[miss.micro_internship]) for miss in e.missed
    ]
    if e.offered_choice is not None:
        clauses.append(f"you were offered your {ordinal(e.offered_choice)} choice")
        body = "; ".join(clauses)
    elif clauses:
        body = "; ".join(clauses) + ". You were not offered a place this time"
    else:
        body = "You were not offered a place this time"
    parts.append(body[0].upper() + body[1:] + ".")
    waits = [
        f"number {miss.waitlist_position} for your {ordinal(miss.choice)} choice"
        for miss in e.missed
    ]
    if len(waits) == 1:
        parts.append(f"You are {waits[0].replace(' for ', ' on the waiting list for ', 1)}.")
    elif waits:
        parts.append("You are on the waiting lists: " + ", ".join(waits) + ".")
    return " ".join(parts)


def no_places_left_for_the_draw(choice: int, position: int) -> str:
    return (
        f"Your {ordinal(choice)} choice had no places left for this draw; you are number "
        f"{position} on its waiting list."
    )


_ONE_WAIT = re.compile(r" ?You are number (\d+) on the waiting list for your (\w+) choice\.")
_NO_PLACES = re.compile(
    r" ?Your (\w+) choice had no places left for this draw; you are number (\d+) on its "
    r"waiting list\."
)


def on_the_waiting_list(position: int, explanation: str) -> str:
    """The reason on a waiting-list place. When the explanation's only waiting-list position
    is this one (it is then about this micro-internship), it is said once, not twice."""
    waits = [(int(p), c, False) for p, c in _ONE_WAIT.findall(explanation)]
    waits += [(int(p), c, True) for c, p in _NO_PLACES.findall(explanation)]
    if len(waits) == 1 and waits[0][0] == position and "waiting lists:" not in explanation:
        _, choice, no_places = waits[0]
        rest = _NO_PLACES.sub("", _ONE_WAIT.sub("", explanation)).strip()
        which = f"this micro-internship (your {choice} choice)"
        if no_places:
            which += ", which had no places left for this draw"
        return f"You are number {position} on the waiting list for {which}. {rest}".strip()
    return f"You are number {position} on the waiting list for this micro-internship. " + (
        explanation
    )


def taken_out_by_staff(reason: str) -> str:
    return "The Business Clinic team took you out of this selection: " + reason


def given_a_place_by_staff(reason: str) -> str:
    return f"The Business Clinic team gave you a place: {reason}"


def offered_a_higher_choice(choice: int, title: str, reference: str) -> str:
    return (
        f"You were offered a place on your {ordinal(choice)} choice, “{title}” ({reference}), "
        "which you ranked higher."
    )


def offered_another_place(title: str, reference: str) -> str:
    return f"You were offered a place on “{title}” ({reference})."


def cutoff(tier: int, tier_position: int, labels: dict[int, str]) -> str:
    """Who took the last place: "priority group 1 (label), lottery position 4"."""
    return f"priority group {tier} ({labels.get(tier, '')}), lottery position {tier_position}"


def cutoff_faced(cutoff: str, places_for_draw: int) -> str:
    """The audit page's line for one choice a student did not get."""
    if not places_for_draw:
        return "No places were left for the draw."
    if not cutoff:
        return "Not full: everyone in the draw who wanted a place here got one."
    return f"The last place went to {cutoff}."


def team_warning(count: int, programme: str, cap: int) -> str:
    return f"{count} students from {programme or 'an unknown programme'} (the soft cap is {cap})"


# -------------------------------------------------------------- after publishing


def promoted(position: int) -> str:
    return f"A place came free and you were next on the waiting list (number {position})."


def promoted_to_a_reserved_place(position: int, group: int, labels: Mapping[int, str]) -> str:
    return (
        f"A place kept for {_group(group, labels)} came free and you were the first student "
        f"of that group on the waiting list (number {position} on the list)."
    )


def promoted_while_holding(title: str, reference: str) -> str:
    return f"If you accept, your place on “{title}” ({reference}) goes to the next student."


def released_after_accepting(title: str, reference: str) -> str:
    return (
        f"You accepted a place on “{title}” ({reference}), so this place goes to the next "
        "student on the waiting list."
    )


def not_selected_after_accepting(title: str, reference: str) -> str:
    return f"You accepted a place on “{title}” ({reference}), which you ranked higher."
