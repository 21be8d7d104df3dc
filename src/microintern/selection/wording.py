"""Every sentence a student reads about selection, and the result's words staff check.

Outcome reasons (stored on the place and sent by email), waiting-list promotions, released
places, cut-off and team-balance lines, and the priority group labels of the public round
page are all written here, so the tone and the facts stay the same everywhere. The lottery
part of an explanation ("Priority group 1 ... Lottery position 4 of 23 ...") is rendered by
the pure engine (`engine.render_explanation`) and reaches the result only through
`lottery_explanation`.
"""

from . import engine
from .enums import EVERYONE_ELSE, PriorityGroup

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")

SET_ASIDE = {
    "cannot_attend": "You told us you could not come on the day, so we could not offer you "
    "this place.",
    "placed": "You already have a place on a micro-internship in this round.",
    "not_enrolled": "We could not find you on the university's student record, so we could "
    "not offer you a place. If you study here, please contact the Business Clinic and we will "
    "sort it out.",
}

OFFER_EXPIRED = "The reply-by time passed without an answer."


def ordinal(choice: int) -> str:
    """1 → "first": a choice as the student ranked it."""
    return ORDINALS[choice - 1]


def group_labels(priority: list[str]) -> dict[int, str]:
    """Priority group number → plain label, e.g. {1: "never taken part ...", 2: ..., 3: ...}."""
    labels = {i: PriorityGroup(key).label for i, key in enumerate(priority, 1)}
    labels[len(priority) + 1] = EVERYONE_ELSE
    return labels


# ------------------------------------------------------------- outcome of a run


def lottery_explanation(explanation: engine.Explanation, labels: dict[int, str]) -> str:
    return engine.render_explanation(explanation, labels)


def no_places_left_for_the_draw(choice: int, position: int) -> str:
    return (
        f"Your {ordinal(choice)} choice had no places left for this draw; you are number "
        f"{position} on its waiting list."
    )


def on_the_waiting_list(position: int, explanation: str) -> str:
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


def promoted_while_holding(title: str, reference: str) -> str:
    return f"If you accept, your place on “{title}” ({reference}) goes to the next student."


def released_after_accepting(title: str, reference: str) -> str:
    return (
        f"You accepted a place on “{title}” ({reference}), so this place goes to the next "
        "student on the waiting list."
    )


def not_selected_after_accepting(title: str, reference: str) -> str:
    return f"You accepted a place on “{title}” ({reference}), which you ranked higher."
