"""Every clause of an explanation is exactly true: random rounds through the engine, each
clause read back and checked against who the engine actually put where."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from microintern.selection import engine, wording

LABELS = {1: "never taken part", 2: "widening participation", 3: "everyone else"}
SEED = "a fixed seed for the property test"


@st.composite
def rounds(draw):
    n_mis = draw(st.integers(1, 4))
    mis = []
    for j in range(n_mis):
        capacity = draw(st.integers(1, 3))
        reserve = None
        if draw(st.booleans()):
            reserve = engine.Reserve(draw(st.integers(1, 3)), draw(st.integers(1, capacity)))
        mis.append(engine.MicroInternship(f"MI-{j}", capacity, reserve))
    students = []
    for i in range(draw(st.integers(1, 14))):
        choices = draw(st.permutations([m.id for m in mis]))
        length = draw(st.integers(1, n_mis))
        students.append(engine.Student(f"S{i}", draw(st.integers(1, 3)), "BA", choices[:length]))
    return mis, students


def _places_competed(out, allocation, tier):
    """The team members holding places a student of `tier` competed for: the whole team, or
    its open places when some were kept for (and taken by) another group (engine docstring)."""
    team = list(out.team)
    if out.reserve is not None and out.reserve.tier != tier and out.reserved_filled:
        kept = [m for m in team if allocation.explanations[m].tier == out.reserve.tier]
        kept = kept[: out.reserved_filled]
        team = [m for m in team if m not in kept]
    return team


CLAUSE = re.compile(
    r"^(?:(?P<reserved>all the places on your (?P<c1>\w+) choice were kept for priority group "
    r"(?P<rt1>\d) \([^)]*\), and students of that group took them)"
    r"|(?:(?:all )?(?P<n_hi>\d+) places? in the draw for your (?P<c2>\w+) choice went to "
    r"(?:a student|students) in (?:a )?higher priority groups? than yours)"
    r"|(?:of the (?P<n_mix>\d+) places? in the draw for your (?P<c3>\w+) choice, (?P<hi>\d+) "
    r"went to (?:a student|students) in a higher priority group than yours and (?P<same>\d+) "
    r"to (?:a student|students) in your priority group with (?:an )?earlier lottery "
    r"positions?)"
    r"|(?:(?:all |the )(?P<n_same>\d+) places? in the draw for your (?P<c4>\w+) choice went to "
    r"(?:a student|students) in your priority group with (?:an )?earlier lottery positions?))"
    r"(?: \(the last to lottery position (?P<last>\d+)\))?"
    r"(?:, after (?P<kept>\d+) places? kept for priority group (?P<rt2>\d) \([^)]*\) went to "
    r"that group)?$"
)


def _check_clause(text, miss, student, allocation):
    match = CLAUSE.match(text)
    assert match, text
    g = match.groupdict()
    out = allocation.micro_internships[miss.micro_internship]
    mine = allocation.explanations[student.id]
    choice = student.choices.index(miss.micro_internship) + 1
    assert wording.ordinal(choice) in {g["c1"], g["c2"], g["c3"], g["c4"]}
    assert len(out.team) == out.capacity  # it really was full
    tiers = {m: allocation.explanations[m] for m in out.team}
    competed = _places_competed(out, allocation, student.tier)
    higher = [m for m in competed if tiers[m].tier < student.tier]
    same = [m for m in competed if tiers[m].tier == student.tier]
    assert len(higher) + len(same) == len(competed)  # nobody below them took a place
    assert all(tiers[m].tier_position < mine.tier_position for m in same)
    if g["reserved"]:
        assert not competed
        assert all(tiers[m].tier == int(g["rt1"]) != student.tier for m in out.team)
        return
    if g["n_hi"]:
        assert int(g["n_hi"]) == len(competed) == len(higher)
    elif g["n_mix"]:
        assert (int(g["n_mix"]), int(g["hi"]), int(g["same"])) == (
            len(competed),
            len(higher),
            len(same),
        )
        assert higher and same
    else:
        assert int(g["n_same"]) == len(competed) == len(same)
    if same:
        assert int(g["last"]) == max(tiers[m].tier_position for m in same)
    else:
        assert g["last"] is None
    kept = len(out.team) - len(competed)
    if kept:
        assert (int(g["kept"]), int(g["rt2"])) == (kept, out.reserve.tier)
    else:
        assert g["kept"] is None


@settings(max_examples=400, deadline=None)
@given(rounds())
def test_every_clause_is_true(instance):
    mis, students = instance
    allocation = engine.allocate(mis, students, SEED)
    for student in students:
        e = allocation.explanations[student.id]
        seen = {
            m.micro_internship: wording.competition(allocation, e.tier, m.micro_internship)
            for m in e.missed
        }
        for miss in e.missed:
            _check_clause(
                wording.missed_clause(miss, LABELS, seen[miss.micro_internship]),
                miss,
                student,
                allocation,
            )
            waitlist = allocation.micro_internships[miss.micro_internship].waitlist
            assert miss.waitlist_position == waitlist.index(student.id) + 1
        text = wording.lottery_explanation(e, LABELS, seen)
        assert f"Lottery position {e.tier_position} of {e.tier_size}." in text
        if e.offered is not None:
            k = student.choices.index(e.offered) + 1
            assert f"you were offered your {wording.ordinal(k)} choice." in text.lower()


def test_a_lottery_clause_says_when_higher_groups_took_some_places():
    """Two places: one to a first-timer, one to an earlier lottery number in the student's
    own group. The old wording said it "was filled by students in your priority group"."""
    mi = engine.MicroInternship("MI-A", 2)
    students = [engine.Student("first", 1, "BA", ("MI-A",))] + [
        engine.Student(f"w{i}", 2, "BA", ("MI-A",)) for i in range(3)
    ]
    allocation = engine.allocate([mi], students, SEED)
    out = allocation.explanations
    loser = max((s for s in students[1:]), key=lambda s: out[s.id].tier_position)
    e = out[loser.id]
    seen = {"MI-A": wording.competition(allocation, 2, "MI-A")}
    assert wording.missed_clause(e.missed[0], LABELS, seen["MI-A"]) == (
        "of the 2 places in the draw for your first choice, 1 went to a student in a higher "
        "priority group than yours and 1 to a student in your priority group with an earlier "
        "lottery position (the last to lottery position 1)"
    )
