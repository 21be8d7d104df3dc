"""The selection engine's compact representation: the one-float priority sort and its
repair of ties, numbered choices and ids that are not strings, each held to the plain
definition or to the engine as it was before (`engine_before`)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microintern.selection.engine import (
    MicroInternship,
    Student,
    _priority_order,
    allocate,
    render_explanation,
)
from tests.selection import engine_before
from tests.selection.test_engine import _old_reserve, _plain, instances

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def plain_priority_order(tiers, lots):
    """The definition: by tier, then by the 32-byte digest; equal digests in input order."""
    return sorted(range(len(tiers)), key=lambda i: (tiers[i], lots[32 * i : 32 * i + 32]))


@st.composite
def draws(draw, many_tiers=False):
    """Tiers and digests in which many students share the first six bytes of their digest
    (so the float keys tie) and some share the whole digest."""
    n = draw(st.integers(0, 60))
    prefixes = draw(st.lists(st.binary(min_size=6, max_size=6), min_size=1, max_size=3))
    suffixes = draw(st.lists(st.binary(min_size=26, max_size=26), min_size=1, max_size=4))
    tier_values = (
        st.integers(-(10**20), 10**20) if many_tiers else st.sampled_from([-3, 0, 1, 2, 7])
    )
    tiers, lots = [], b""
    for _ in range(n):
        tiers.append(draw(tier_values))
        lots += draw(st.sampled_from(prefixes)) + draw(st.sampled_from(suffixes))
    return tiers, lots


@PROPERTY
@given(st.one_of(draws(), draws(many_tiers=True)))
def test_float_sort_with_ties_is_the_plain_order(draw):
    """Students whose floats tie (same tier, same first six bytes) are put in full-digest
    order, and equal digests stay in input order."""
    tiers, lots = draw
    assert _priority_order(tiers, lots) == plain_priority_order(tiers, lots)


def test_more_tiers_than_float_exponents_is_the_plain_order():
    """Past 1,000 distinct tiers the order is sorted by the keys themselves, to the same
    definition."""
    tiers = [(i * 7919) % 1500 - 700 for i in range(3000)]
    lots = b"".join(bytes([i % 5] * 6) + (i % 11).to_bytes(26, "big") for i in range(3000))
    assert _priority_order(tiers, lots) == plain_priority_order(tiers, lots)


@PROPERTY
@given(instances(max_mis=6, max_students=40), st.integers(1, 3))
def test_shared_lottery_messages_same_as_before(instance, kinds):
    """Students given the same lottery message draw the same number; the order between them
    (input order) and everything else is as before."""
    mis, students, seed = instance
    messages = {s.id: f"m{i % kinds}" for i, s in enumerate(students)}
    now = allocate(mis, students, seed, lottery_messages=messages)
    before = engine_before.allocate(
        [
            engine_before.MicroInternship(
                m.id, m.capacity, _old_reserve(m.reserve), m.programme_cap
            )
            for m in mis
        ],
        [engine_before.Student(s.id, s.tier, s.programme, s.choices) for s in students],
        seed,
        lottery_messages=messages,
    )
    assert now.priority_order == before.priority_order
    assert now.assignment == before.assignment
    assert _plain(now.micro_internships) == _plain(before.micro_internships)
    for sid, explanation in before.explanations.items():
        assert _plain(now.explanations[sid]) == _plain(explanation)
        assert render_explanation(now.explanations[sid]) == engine_before.render_explanation(
            explanation
        )


def test_ids_that_are_not_strings():
    """Integer ids are drawn by their decimal text, as before; an integer and a string with
    the same text are the same lottery entry, so they are refused as duplicates."""
    mis = [MicroInternship(10, 1), MicroInternship(20, 2)]
    students = [Student(i, 1 + i % 2, "econ", (10, 20) if i % 3 else (20,)) for i in range(7)]
    now = allocate(mis, students, "seed")
    before = engine_before.allocate(
        [engine_before.MicroInternship(m.id, m.capacity) for m in mis],
        [engine_before.Student(s.id, s.tier, s.programme, s.choices) for s in students],
        "seed",
    )
    assert now.priority_order == before.priority_order
    assert now.assignment == before.assignment
    assert _plain(dict(now.explanations)) == _plain(dict(before.explanations))
    with pytest.raises(ValueError, match="duplicate student ids"):
        allocate(mis, [Student(1, 1, "x", ()), Student("1", 1, "x", ())], "seed")


def test_repeated_string_ids_are_refused():
    """Two students with the same id are refused even when the choices are all valid."""
    mis = [MicroInternship("m", 2)]
    with pytest.raises(ValueError, match="duplicate student ids"):
        allocate(mis, [Student("a", 1, "x", ("m",)), Student("a", 1, "y", ("m",))], "seed")
