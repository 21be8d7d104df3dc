"""Tests for the pure-Python selection engine: properties on random instances, then examples."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import warnings

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from microintern.selection.engine import (
    Explanation,
    MicroInternship,
    Missed,
    Reserve,
    Student,
    _hmac_sha256_many,
    allocate,
    lottery_number,
    render_explanation,
    seed_commitment,
)
from tests.selection import engine_before  # noqa: E402

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ----------------------------------------------------------------------- strategies


@st.composite
def instances(draw, max_mis=5, max_students=25, max_capacity=4, reserves=True, tiers=3):
    """A random round: micro-internships (optional reserves), students and a seed."""
    m = draw(st.integers(1, max_mis))
    mis = []
    for j in range(m):
        capacity = draw(st.integers(1, max_capacity))
        reserve = None
        if reserves and draw(st.booleans()):
            reserve = Reserve(
                tier=draw(st.integers(1, tiers)), seats=draw(st.integers(0, capacity))
            )
        mis.append(MicroInternship(f"m{j}", capacity, reserve, draw(st.sampled_from([None, 1, 2]))))
    n = draw(st.integers(0, max_students))
    students = []
    for i in range(n):
        choices = draw(st.permutations([mi.id for mi in mis]))
        k = draw(st.integers(0, len(choices)))
        students.append(
            Student(
                f"s{i}",
                draw(st.integers(1, tiers)),
                draw(st.sampled_from(["econ", "law", "bio"])),
                tuple(choices[:k]),
            )
        )
    seed = draw(st.binary(min_size=1, max_size=80))
    return mis, students, seed


# ------------------------------------------------------------- reference definitions


def priority_key(seed):
    """The published priority order: tier, then lottery number."""
    return lambda s: (s.tier, lottery_number(seed, s.id))


def reference_choice(applicants, mi, key):
    """The micro-internship's choice rule, written out plainly (see the engine docstring)."""
    ordered = sorted(applicants, key=key)
    reserved = []
    if mi.reserve is not None:
        reserved = [s for s in ordered if s.tier == mi.reserve.tier][: mi.reserve.seats]
    rest = [s for s in ordered if s not in reserved]
    return set(reserved) | set(rest[: mi.capacity - len(reserved)])


def rank_of(student, mi_id):
    """0-based rank of a micro-internship in a student's list; unassigned ranks last."""
    return student.choices.index(mi_id) if mi_id is not None else len(student.choices)


def justified_envy(mis, students, assignment, key):
    """Pairs (student, member) violating the reserve-aware no-justified-envy definition,
    plus (student, None) for wasted seats."""
    by_id = {mi.id: mi for mi in mis}
    teams = {mi.id: [] for mi in mis}
    for s in students:
        if assignment[s.id] is not None:
            teams[assignment[s.id]].append(s)
    bad = []
    for s in students:
        for j in s.choices[: rank_of(s, assignment[s.id])]:
            mi = by_id[j]
            team = sorted(teams[j], key=key)
            if len(team) < mi.capacity:
                bad.append((s, None))
                continue
            rt = mi.reserve.tier if mi.reserve else None
            seats = mi.reserve.seats if mi.reserve else 0
            reserved = [m for m in team if m.tier == rt][:seats]
            for m in team:
                higher = key(s) < key(m)
                if m not in reserved and higher:
                    bad.append((s, m))  # (a) beats an open-place holder
                elif m in reserved and s.tier == rt and higher:
                    bad.append((s, m))  # (b) beats a reserved-place holder of the same tier
                elif s.tier == rt and len(reserved) < seats and m.tier != rt:
                    bad.append((s, m))  # (c) could claim an unfilled reserved place
    return bad


def is_stable(mis, students, assignment, key):
    """Stability with respect to the choice rules: nobody would be chosen by a
    micro-internship they prefer, offered its team plus themselves."""
    by_id = {mi.id: mi for mi in mis}
    teams = {mi.id: set() for mi in mis}
    for s in students:
        if assignment[s.id] is not None:
            teams[assignment[s.id]].add(s)
    if any(len(teams[j]) > by_id[j].capacity for j in teams):
        return False
    for s in students:
        for j in s.choices[: rank_of(s, assignment[s.id])]:
            if s in reference_choice(teams[j] | {s}, by_id[j], key):
                return False
    return True


# ------------------------------------------------------------------------ properties


@PROPERTY
@given(instances())
def test_feasible(instance):
    """Capacity never exceeded, one place per student, only somewhere they ranked."""
    mis, students, seed = instance
    result = allocate(mis, students, seed)
    assert set(result.assignment) == {s.id for s in students}
    for s in students:
        got = result.assignment[s.id]
        assert got is None or got in s.choices
    for mi in mis:
        team = result.micro_internships[mi.id].team
        assert len(team) <= mi.capacity
        assert sorted(team) == sorted(i for i, j in result.assignment.items() if j == mi.id)
    placed = [i for team in result.teams.values() for i in team]
    assert len(placed) == len(set(placed))


@PROPERTY
@given(instances())
def test_no_justified_envy_and_non_wasteful(instance):
    """Reserve-aware no justified envy (a)-(c) and non-wastefulness; also stable per the
    reference choice rules."""
    mis, students, seed = instance
    result = allocate(mis, students, seed)
    key = priority_key(seed)
    assert justified_envy(mis, students, result.assignment, key) == []
    assert is_stable(mis, students, result.assignment, key)


@PROPERTY
@given(instances())
def test_reserved_places_only_for_their_tier(instance):
    """A reserve never lets a student of another tier into a reserved place: the members
    outside the reserved tier never exceed capacity minus the reserved tier's demand met."""
    mis, students, seed = instance
    result = allocate(mis, students, seed)
    tier_of = {s.id: s.tier for s in students}
    for mi in mis:
        out = result.micro_internships[mi.id]
        if mi.reserve is None:
            assert out.reserved_filled == 0
            continue
        in_tier = [i for i in out.team if tier_of[i] == mi.reserve.tier]
        assert out.reserved_filled == min(len(in_tier), mi.reserve.seats)


@PROPERTY
@given(instances(), st.binary(min_size=1, max_size=40))
def test_same_seed_same_result(instance, other_seed):
    """Same seed, same result; the result does not depend on input order."""
    mis, students, seed = instance
    a = allocate(mis, students, seed)
    b = allocate(list(reversed(mis)), list(reversed(students)), seed)
    assert a.assignment == b.assignment
    assert a.waitlists == b.waitlists
    assert a.explanations == b.explanations
    assert a.priority_order == b.priority_order


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=40), st.binary(min_size=1, max_size=40))
def test_different_seed_different_lottery(seed_a, seed_b):
    """Two different seeds give different draws (20 students: 20! orders)."""
    assume(seed_a != seed_b)
    mis = [MicroInternship("m", 10)]
    students = [Student(f"s{i}", 1, "econ", ("m",)) for i in range(20)]
    a = allocate(mis, students, seed_a)
    b = allocate(mis, students, seed_b)
    assert a.priority_order != b.priority_order


@PROPERTY
@given(instances())
def test_priority_order_is_tier_then_published_lottery(instance):
    """Anyone can recompute the draw from the published seed."""
    mis, students, seed = instance
    result = allocate(mis, students, seed)
    assert result.seed_commitment == hashlib.sha256(seed).hexdigest() == seed_commitment(seed)
    assert result.priority_order == [s.id for s in sorted(students, key=priority_key(seed))]
    for s in students:
        e = result.explanations[s.id]
        assert e.lottery.hex() == lottery_number(seed, s.id)
        assert e.lottery == hmac.digest(seed, s.id.encode(), "sha256")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.lists(st.text(max_size=20), max_size=10))
def test_fast_hmac_equals_hmac_digest(key, messages):
    """The batched HMAC is the standard HMAC-SHA256, short and long keys alike."""
    expected = [hmac.digest(key, m.encode(), "sha256") for m in messages]
    assert _hmac_sha256_many(key, messages) == expected


@PROPERTY
@given(instances())
def test_waitlists_and_explanations_agree(instance):
    """Waiting list = students who ranked it above their offer (or have none), in priority
    order; every explanation's positions, cut-offs and waiting-list places match."""
    mis, students, seed = instance
    result = allocate(mis, students, seed)
    position = {sid: k for k, sid in enumerate(result.priority_order, 1)}
    for mi in mis:
        expected = [
            s.id for s in students if mi.id in s.choices[: rank_of(s, result.assignment[s.id])]
        ]
        assert list(result.waitlists[mi.id]) == sorted(expected, key=position.__getitem__)
    for s in students:
        e = result.explanations[s.id]
        assert e.position == position[s.id] and e.round_size == len(students)
        same_tier = [t for t in students if t.tier == s.tier]
        assert e.tier_size == len(same_tier)
        assert 1 <= e.tier_position <= e.tier_size
        assert e.offered == result.assignment[s.id]
        assert [m.micro_internship for m in e.missed] == list(s.choices[: rank_of(s, e.offered)])
        for m in e.missed:
            wl = result.waitlists[m.micro_internship]
            assert wl[m.waitlist_position - 1] == s.id
            if m.reason == "reserved":
                assert m.cutoff is None
            else:
                assert m.cutoff.position < e.position  # the last one admitted beat them
                assert (m.reason == "higher_group") == (m.cutoff.tier < s.tier)
            assert render_explanation(e)


def brute_force_stable(mis, students, key):
    """Every stable matching of a tiny instance, by enumeration."""
    options = [list(s.choices) + [None] for s in students]
    for combo in itertools.product(*options):
        assignment = {s.id: j for s, j in zip(students, combo, strict=True)}
        if is_stable(mis, students, assignment, key):
            yield assignment


@settings(max_examples=150, deadline=None)
@given(instances(max_mis=3, max_students=5, max_capacity=2))
def test_student_optimal_against_brute_force(instance):
    """The engine's matching is stable and every student weakly prefers it to every other
    stable matching."""
    mis, students, seed = instance
    key = priority_key(seed)
    result = allocate(mis, students, seed)
    stable = list(brute_force_stable(mis, students, key))
    assert result.assignment in stable
    for other in stable:
        for s in students:
            assert rank_of(s, result.assignment[s.id]) <= rank_of(s, other[s.id])


@settings(max_examples=60, deadline=None)
@given(instances(max_mis=8, max_students=60, max_capacity=10, reserves=False))
def test_same_as_matching_package_without_reserves(instance):
    """Strict priorities, no reserves: exactly the `matching` package's student-optimal
    StudentAllocation (one project and one supervisor per micro-internship)."""
    from matching.games import StudentAllocation

    mis, students, seed = instance
    result = allocate(mis, students, seed)
    active = [s for s in students if s.choices]
    assume(active)
    key = priority_key(seed)
    ranked = {mi.id: sorted((s for s in active if mi.id in s.choices), key=key) for mi in mis}
    used = [mi for mi in mis if ranked[mi.id]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = StudentAllocation.create_from_dictionaries(
            {s.id: list(s.choices) for s in active},
            {f"sup-{mi.id}": [s.id for s in ranked[mi.id]] for mi in used},
            {mi.id: f"sup-{mi.id}" for mi in used},
            {mi.id: mi.capacity for mi in used},
            {f"sup-{mi.id}": mi.capacity for mi in used},
        )
        matching = game.solve(optimal="student")
    theirs = {project.name: sorted(p.name for p in team) for project, team in matching.items()}
    ours = {mi.id: sorted(result.teams[mi.id]) for mi in used}
    assert ours == theirs


# -------------------------------------------------------------------------- examples

LABELS = {1: "first micro-internship", 2: "widening participation", 3: "everyone else"}


def test_render_the_policy_example():
    """The example sentence of the public policy page, for a hand-built explanation."""
    explanation = Explanation(
        student="s4",
        tier=1,
        position=4,
        round_size=60,
        tier_position=4,
        tier_size=23,
        offered="garden",
        offered_choice=2,
        missed=(Missed("bakery", 1, "higher_group", None, None, 0, 2),),
        lottery=b"",
    )
    assert render_explanation(explanation, LABELS) == (
        "Priority group 1: first micro-internship. Lottery position 4 of 23. "
        "Your first choice was filled by students in a higher priority group; "
        "you were offered your second choice. "
        "You are number 2 on the waiting list for your first choice."
    )


def test_example_round_end_to_end():
    """A first-timer takes the only place at the bakery; the widening-participation student
    is offered their second choice and waits first in line for the bakery."""
    mis = [MicroInternship("bakery", 1), MicroInternship("garden", 1)]
    students = [
        Student("ada", 1, "econ", ("bakery",)),
        Student("bo", 2, "law", ("bakery", "garden")),
        Student("cy", 3, "bio", ("garden", "bakery")),
    ]
    result = allocate(mis, students, b"published-seed")
    assert result.assignment == {"ada": "bakery", "bo": "garden", "cy": None}
    assert result.waitlists == {"bakery": ("bo", "cy"), "garden": ("cy",)}
    assert render_explanation(result.explanations["bo"], LABELS) == (
        "Priority group 2: widening participation. Lottery position 1 of 1. "
        "Your first choice was filled by students in a higher priority group; "
        "you were offered your second choice. "
        "You are number 1 on the waiting list for your first choice."
    )
    assert render_explanation(result.explanations["cy"], LABELS) == (
        "Priority group 3: everyone else. Lottery position 1 of 1. "
        "Your first choice was filled by students in a higher priority group; "
        "your second choice was filled by students in a higher priority group. "
        "You were not offered a place this time. "
        "You are on the waiting lists: number 1 for your first choice, "
        "number 2 for your second choice."
    )


def test_waitlist_is_lottery_order_within_a_tier():
    """Twelve students in one tier for ten places: the two not offered wait in lottery order."""
    mis = [MicroInternship("m", 10)]
    students = [Student(f"s{i}", 1, "econ", ("m",)) for i in range(12)]
    result = allocate(mis, students, "seed")
    order = sorted((s.id for s in students), key=lambda i: lottery_number("seed", i))
    assert list(result.teams["m"]) == order[:10]
    assert list(result.waitlists["m"]) == order[10:]
    last = result.explanations[order[-1]]
    assert last.missed[0].reason == "lottery"
    assert last.missed[0].cutoff.tier_position == 10
    assert "the last place went to lottery position 10" in render_explanation(last)


def test_reserve_keeps_places_for_its_tier_and_releases_the_rest():
    """Two of three places kept for tier 2: tier 2 fills one, the other goes to tier 1."""
    mis = [MicroInternship("m", 3, Reserve(tier=2, seats=2))]
    students = [Student(f"a{i}", 1, "econ", ("m",)) for i in range(4)] + [
        Student("wp", 2, "law", ("m",))
    ]
    result = allocate(mis, students, "seed")
    team = result.teams["m"]
    assert "wp" in team and len(team) == 3
    out = result.micro_internships["m"]
    assert out.reserved_filled == 1
    tier1_out = [i for i in result.waitlists["m"]]
    assert len(tier1_out) == 2
    miss = result.explanations[tier1_out[0]].missed[0]
    assert (miss.reason, miss.reserved_tier, miss.reserved_taken) == ("lottery", 2, 1)
    assert "after 1 place was kept for priority group 2 (widening participation)" in (
        render_explanation(result.explanations[tier1_out[0]], LABELS)
    )


def test_reserve_displacement_cascades():
    """A tier-2 student claiming a reserved place pushes a tier-1 student to their next
    choice, who in turn pushes out a worse tier-1 student there."""
    mis = [MicroInternship("x", 1, Reserve(tier=2, seats=1)), MicroInternship("y", 1)]
    seed = "cascade"
    a, b = sorted(["p", "q"], key=lambda i: lottery_number(seed, i))
    students = [
        Student(a, 1, "econ", ("x", "y")),
        Student(b, 1, "econ", ("y",)),
        Student("wp", 2, "law", ("x",)),
    ]
    result = allocate(mis, students, seed)
    assert result.assignment == {"wp": "x", a: "y", b: None}


def test_all_places_reserved():
    """When every place is reserved and taken, others are told so."""
    mis = [MicroInternship("m", 1, Reserve(tier=2, seats=1))]
    students = [Student("a", 1, "econ", ("m",)), Student("wp", 2, "law", ("m",))]
    result = allocate(mis, students, "seed")
    assert result.assignment == {"a": None, "wp": "m"}
    text = render_explanation(result.explanations["a"], LABELS)
    assert "had all its places reserved for priority group 2 (widening participation)" in text


def test_team_balance_is_reported_not_enforced():
    """Three economists in a team with a cap of two: a warning, and nobody is moved."""
    mis = [MicroInternship("m", 3, programme_cap=2)]
    students = [Student(f"e{i}", 1, "econ", ("m",)) for i in range(3)] + [
        Student("l", 2, "law", ("m",))
    ]
    result = allocate(mis, students, "seed")
    assert sorted(result.teams["m"]) == ["e0", "e1", "e2"]
    [warning] = result.warnings
    assert (warning.micro_internship, warning.programme, warning.count, warning.cap) == (
        "m",
        "econ",
        3,
        2,
    )


@pytest.mark.parametrize(
    ("mis", "students", "message"),
    [
        ([MicroInternship("m", 11)], [], "capacity"),
        ([MicroInternship("m", 2, Reserve(1, 3))], [], "reserve"),
        ([MicroInternship("m", 2), MicroInternship("m", 2)], [], "duplicate"),
        ([MicroInternship("m", 2)], [Student("a", 1, "x", ("z",))], "unknown"),
        ([MicroInternship("m", 2)], [Student("a", 1, "x", ("m", "m"))], "twice"),
        (
            [MicroInternship("m", 2)],
            [Student("a", 1, "x", ()), Student("a", 2, "x", ())],
            "duplicate",
        ),
    ],
)
def test_bad_input_is_refused(mis, students, message):
    """Bad input is an error, never a silent guess."""
    with pytest.raises(ValueError, match=message):
        allocate(mis, students, "seed")


def test_seed_must_be_bytes_or_str():
    """A seed of another type is refused."""
    with pytest.raises(TypeError):
        allocate([], [], 42)


@PROPERTY
@given(instances())
def test_lottery_messages_replace_the_student_id_in_the_lottery(instance):
    """With `lottery_messages`, the order is by HMAC(seed, message); everything else is the
    allocation of the same students renamed to their messages."""
    mis, students, seed = instance
    messages = {s.id: f"pseudonym-{s.id}" for s in students}
    given_messages = allocate(mis, students, seed, lottery_messages=messages)
    renamed = [Student(messages[s.id], s.tier, s.programme, s.choices) for s in students]
    plain = allocate(mis, renamed, seed)
    assert [messages[i] for i in given_messages.priority_order] == plain.priority_order
    assert {messages[k]: v for k, v in given_messages.assignment.items()} == plain.assignment
    for mi in mis:
        assert [messages[i] for i in given_messages.micro_internships[mi.id].team] == list(
            plain.micro_internships[mi.id].team
        )


@PROPERTY
@given(instances(max_mis=6, max_students=40))
def test_identical_to_the_engine_before_lazy_explanations(instance):
    """Explanations are built on demand now; every result is the same as before."""
    mis, students, seed = instance
    now = allocate(mis, students, seed)
    before = engine_before.allocate(
        [
            engine_before.MicroInternship(
                m.id, m.capacity, _old_reserve(m.reserve), m.programme_cap
            )
            for m in mis
        ],
        [engine_before.Student(s.id, s.tier, s.programme, s.choices) for s in students],
        seed,
    )
    assert now.assignment == before.assignment
    assert now.priority_order == before.priority_order
    assert now.seed_commitment == before.seed_commitment
    assert _plain(now.micro_internships) == _plain(before.micro_internships)
    assert len(now.explanations) == len(before.explanations)
    assert list(now.explanations) == list(before.explanations)
    for sid, explanation in before.explanations.items():
        assert _plain(now.explanations[sid]) == _plain(explanation)
        assert render_explanation(now.explanations[sid]) == engine_before.render_explanation(
            explanation
        )


def _old_reserve(reserve):
    return engine_before.Reserve(reserve.tier, reserve.seats) if reserve else None


def _plain(value):
    """Engine records (of either module) as plain tuples, to compare across modules."""
    if hasattr(value, "__slots__") and hasattr(value, "__dataclass_fields__"):
        return tuple(_plain(getattr(value, f)) for f in value.__dataclass_fields__)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    return value
