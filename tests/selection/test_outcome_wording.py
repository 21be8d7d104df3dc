"""Outcome words a student reads: a waiting-list position said once, and no "please try
again" to a student who has a place elsewhere."""

import re

import pytest

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.mail.models import OutboundMessage
from microintern.selection import engine, wording
from tests.applications.factories import ExpressionOfInterestFactory

pytestmark = pytest.mark.django_db


def test_a_student_placed_elsewhere_is_not_told_to_try_again():
    interest = ExpressionOfInterestFactory()
    reason = wording.offered_a_higher_choice(1, "Pricing a repair subscription", "MI-2026-003")
    transition_place(interest, PlaceState.NOT_SELECTED, reason=reason)
    body = OutboundMessage.objects.get(role="place_not_selected").body
    assert "please try again" not in body.lower()
    assert "more students than places" not in body
    assert "Why: You were offered a place on your first choice" in body
    assert "If you do not have a place on another micro-internship" in body


def _one_loser() -> tuple[str, int]:
    """A real draw: one place, two students of one group who both want it."""
    allocation = engine.allocate(
        [engine.MicroInternship("MI-1", 1, None)],
        [engine.Student(s, 1, "BA", ["MI-1"]) for s in ("S1", "S2")],
        "a fixed seed",
    )
    loser = next(e for e in allocation.explanations.values() if e.offered is None)
    seen = {
        m.micro_internship: wording.competition(allocation, loser.tier, m.micro_internship)
        for m in loser.missed
    }
    text = wording.lottery_explanation(loser, {1: "never taken part"}, seen)
    return text, loser.missed[0].waitlist_position


def test_a_waiting_list_reason_gives_the_position_once():
    text, position = _one_loser()
    assert f"number {position}" in text  # the explanation alone does say it
    reason = wording.on_the_waiting_list(position, text)
    assert len(re.findall(r"number \d+", reason)) == 1
    assert reason.startswith(
        f"You are number {position} on the waiting list for this micro-internship "
        "(your first choice). Priority group 1: never taken part. Lottery position 2 of 2."
    )


def test_a_full_choice_keeps_its_no_places_left_fact_once():
    text = "Lottery position 4 of 9. " + wording.no_places_left_for_the_draw(2, 3)
    reason = wording.on_the_waiting_list(3, text)
    assert reason == (
        "You are number 3 on the waiting list for this micro-internship (your second choice), "
        "which had no places left for this draw. Lottery position 4 of 9."
    )


def test_several_waiting_lists_are_all_kept():
    text = (
        "You are on the waiting lists: number 1 for your first choice, "
        "number 2 for your second choice."
    )
    reason = wording.on_the_waiting_list(2, text)
    assert "number 1 for your first choice" in reason and reason.startswith("You are number 2")
