"""Who takes part in a round and how: the database read into the engine's plain inputs.

Who is considered: every expression of interest in the round's micro-internships that awaits
a decision (received or waitlisted), whose student has shown the address is theirs
(`verified_at`; once the round is sealed, no later than `closed_at`), who said they can come
on the day, who is enrolled (on the student record, once the university imports one:
`queries.enrolment_is_known`), and who does not already hold a place on one of the round's
micro-internships. A student's ranking is the one they set (`applications.ranking`:
`preference_rank` where given, otherwise the order they said they were interested), frozen
once interest closes.

Priority groups come from the round's `priority` list (criteria in order), computed when
interest closes and sealed with the participant list: once sealed, the draw uses the sealed
group even if the student's record (or a place they took elsewhere) changed since.
Special-category data is never read here. Staff overrides are applied here too: a "give a
place" override takes the student out of the draw, a "take out" override removes that choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from microintern.applications.models import ExpressionOfInterest
from microintern.applications.ranking import ranked
from microintern.programme.models import MicroInternship

from .. import commitment, engine, queries
from ..enums import OverrideAction, PriorityGroup
from ..errors import SelectionRefused
from ..models import SelectionRound


@dataclass
class Inputs:
    """What one run sees: engine inputs plus the people set aside before the draw."""

    micro_internships: list[engine.MicroInternship]
    students: list[engine.Student]
    snapshot: dict  # JSON: exactly what the engine saw, and why others were set aside
    people: dict  # student number → {"name", "programme"} (for the result table)
    interests: dict  # (student number, reference) → ExpressionOfInterest
    rankings: dict  # student number → references best first (full ones included)
    full: list  # references with no place left for the draw


def build_inputs(selection_round: SelectionRound) -> Inputs:
    """Read the round from the database into the engine's plain inputs (no seed inside).

    A staff "give a place" override applies only to a confirmed interest of a student not
    already placed in the round (others are listed in `overrides_not_applied`). Raises
    SelectionRefused when staff gave more places than a micro-internship has left.
    """
    entries = list(selection_round.entries.select_related("micro_internship"))
    overrides = list(selection_round.overrides.select_related("student", "micro_internship"))
    added = {o.student_id: o for o in overrides if o.action == OverrideAction.ADD}
    removed = {o.student_id: o for o in overrides if o.action == OverrideAction.REMOVE}
    placed = queries.students_holding_a_place(selection_round)
    check_enrolment = queries.enrolment_is_known()
    by_student: dict[int, list[ExpressionOfInterest]] = {}
    interests: dict[tuple[str, str], ExpressionOfInterest] = {}
    set_aside = []
    forced: dict[str, list[str]] = {}
    for interest in queries.interests_in_round(selection_round):
        key = (interest.student.student_number, interest.micro_internship.reference)
        if interest.verified_at is None or (
            selection_round.closed_at is not None
            and interest.verified_at > selection_round.closed_at
        ):
            set_aside.append([*key, "unconfirmed"])
            continue
        interests[key] = interest
        override = added.get(interest.student_id)
        if interest.student_id in placed:
            set_aside.append([*key, "placed"])
        elif override is not None:  # staff gave them a place (even if they said they can't)
            if override.micro_internship_id == interest.micro_internship_id:
                forced.setdefault(key[1], []).append(key[0])
        elif not interest.can_attend:
            set_aside.append([*key, "cannot_attend"])
        elif check_enrolment and interest.student.record_imported_at is None:
            set_aside.append([*key, "not_enrolled"])
        else:
            by_student.setdefault(interest.student_id, []).append(interest)
    given = {sn for numbers in forced.values() for sn in numbers}
    not_applied = sorted(
        f"{o.student.student_number} on {o.micro_internship.reference}"
        for o in added.values()
        if o.student.student_number not in given
    )
    taken = {}
    mis = []
    full: dict[str, MicroInternship] = {}
    for entry in entries:
        mi = entry.micro_internship
        taken[mi.reference] = queries.seats_held(mi)
        free = mi.capacity - taken[mi.reference] - len(forced.get(mi.reference, []))
        if free < 0:
            raise SelectionRefused.because(
                f"{mi.reference} has {mi.capacity - taken[mi.reference]} places left but staff "
                f"gave places to {len(forced[mi.reference])} students. Remove an override."
            )
        if free == 0:  # already full: its interested students can only wait
            full[mi.reference] = mi
            continue
        reserve = None
        if entry.reserve_seats:
            reserve = engine.Reserve(entry.reserve_group, min(entry.reserve_seats, free))
        mis.append(engine.MicroInternship(mi.reference, free, reserve, entry.programme_cap))
    had = queries.students_who_had_an_opportunity(by_student, selection_round)
    sealed = commitment.sealed_groups(selection_round.participants)
    students, people, rankings = [], {}, {}
    for student_id, rows in by_student.items():
        student = rows[0].student
        ranking = tuple(
            i.micro_internship.reference
            for i in ranked(rows)
            if not (
                student_id in removed
                and removed[student_id].micro_internship_id == i.micro_internship_id
            )
        )
        rankings[student.student_number] = ranking
        choices = tuple(ref for ref in ranking if ref not in full)
        tier = priority_group(student, student_id in had, selection_round.priority)
        if sealed:
            name = commitment.pseudonym(selection_round.seed, student.student_number)
            tier = sealed.get(name, tier)
        students.append(engine.Student(student.student_number, tier, student.programme, choices))
    for interest in interests.values():
        people[interest.student.student_number] = {
            "name": interest.student.full_name,
            "programme": interest.student.programme,
        }
    students.sort(key=lambda s: s.id)
    drawn = {m.id: m for m in mis}
    snapshot = {
        "priority": list(selection_round.priority),
        "seed_commitment": selection_round.seed_commitment,
        "micro_internships": [
            {
                "id": ref,
                "places_for_draw": m.capacity if m else 0,
                "already_taken": taken[ref],
                "reserve": [m.reserve.tier, m.reserve.seats] if m and m.reserve else None,
                "programme_cap": m.programme_cap if m else None,
            }
            for ref, m in (
                (e.micro_internship.reference, drawn.get(e.micro_internship.reference))
                for e in entries
            )
        ],
        "students": [
            {"id": s.id, "group": s.tier, "programme": s.programme, "choices": list(rankings[s.id])}
            for s in students
        ],
        "given_by_staff": {ref: sorted(ids) for ref, ids in sorted(forced.items())},
        "taken_out_by_staff": sorted(
            [o.student.student_number, o.micro_internship.reference] for o in removed.values()
        ),
        "set_aside": sorted(set_aside),
        "overrides_not_applied": not_applied,
    }
    return Inputs(mis, students, snapshot, people, interests, rankings, sorted(full))


def priority_group(student, had_an_opportunity: bool, priority: list[str]) -> int:
    """The student's priority group: 1 + the first criterion (in the round's order) they
    meet; everyone who meets none is in the last group."""
    meets = {
        PriorityGroup.FIRST_TIME: not had_an_opportunity,
        PriorityGroup.WIDENING_PARTICIPATION: student.has_widening_participation_flag,
    }
    for i, key in enumerate(priority, 1):
        if meets[PriorityGroup(key)]:
            return i
    return len(priority) + 1


def ranking_in(inputs: dict, student_number: str) -> list[str]:
    """The student's choices, best first, in a stored inputs snapshot (empty if absent)."""
    return next((s["choices"] for s in inputs["students"] if s["id"] == student_number), [])


def ranks_higher(inputs: dict, student_number: str, reference: str, than: str) -> bool:
    """Whether the student ranked micro-internship `reference` above `than` (in `inputs`)."""
    ranking = ranking_in(inputs, student_number)
    return reference in ranking and (
        than not in ranking or ranking.index(reference) < ranking.index(than)
    )
