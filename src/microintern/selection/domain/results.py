"""The result of a run: typed, computed from the engine's allocation, stored as JSON.

`compute_result` runs the engine on the round as it stands and turns its allocation into a
`RoundResult`: per micro-internship the team, waiting list, cut-off and warnings; per student
(in priority order) the outcome, the explanation in words and a `Decision` for each of their
expressions of interest (the place state publishing moves it to, with the reason the student
reads). The engine's own objects are never changed.

`RoundResult.to_json` / `RoundResult.from_json` are the one place the result meets the JSON
stored on a `SelectionRun` (`result`), which the staff page, the `allocate` command,
publishing, waiting-list promotion and the impact report read. The stored format is:

    {"seed_commitment", "groups": {"1": label, ...}, "unconfirmed": n, "warnings": [...],
     "overrides_not_applied": [...],
     "micro_internships": [{"reference", "title", "places_for_draw", "already_taken",
        "given_by_staff", "team", "waitlist", "reserve", "reserved_filled", "cutoff",
        "warnings"}, ...],
     "students": [{"student_number", "name", "programme", "group", "lottery_position",
        "outcome", "offered", "explanation", "waitlists": {ref: n},
        "decisions": {ref: [place state, reason]}}, ...]}
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum

from microintern.applications.enums import PlaceState

from .. import commitment, engine, wording
from ..enums import Outcome, RoundState
from ..errors import SelectionRefused
from ..models import SelectionRound
from .inputs import Inputs, build_inputs


@dataclass(frozen=True, slots=True)
class Decision:
    """What publishing does to one expression of interest: the place state it moves to and
    the reason the student reads."""

    state: PlaceState
    reason: str

    def to_json(self) -> list[str]:
        return [PlaceState(self.state).value, self.reason]

    @classmethod
    def from_json(cls, pair: list[str]) -> Decision:
        state, reason = pair
        return cls(PlaceState(state), reason)


@dataclass(frozen=True, slots=True)
class StudentResult:
    """One student's outcome. `group` and `lottery_position` are empty for students placed
    by staff or set aside before the draw; `waitlists` maps a reference to their position."""

    student_number: str
    name: str
    programme: str
    group: int | None
    lottery_position: int | None
    outcome: Outcome
    offered: str | None
    explanation: str
    waitlists: dict[str, int]
    decisions: dict[str, Decision]

    @property
    def outcome_label(self) -> str:
        return Outcome(self.outcome).label

    @classmethod
    def from_json(cls, data: dict) -> StudentResult:
        return cls(
            student_number=data["student_number"],
            name=data["name"],
            programme=data["programme"],
            group=data["group"],
            lottery_position=data["lottery_position"],
            outcome=Outcome(data["outcome"]),
            offered=data["offered"],
            explanation=data["explanation"],
            waitlists=dict(data["waitlists"]),
            decisions={ref: Decision.from_json(d) for ref, d in data["decisions"].items()},
        )


@dataclass(frozen=True, slots=True)
class MicroInternshipResult:
    """One micro-internship's result: `team` and `waitlist` are student numbers in order;
    `reserve` is [priority group, places] or None; `cutoff` says who took the last place."""

    reference: str
    title: str
    places_for_draw: int
    already_taken: int
    given_by_staff: tuple[str, ...]
    team: tuple[str, ...]
    waitlist: tuple[str, ...]
    reserve: tuple[int, int] | None
    reserved_filled: int
    cutoff: str
    warnings: tuple[str, ...]

    @classmethod
    def from_json(cls, data: dict) -> MicroInternshipResult:
        return cls(
            reference=data["reference"],
            title=data["title"],
            places_for_draw=data["places_for_draw"],
            already_taken=data["already_taken"],
            given_by_staff=tuple(data["given_by_staff"]),
            team=tuple(data["team"]),
            waitlist=tuple(data["waitlist"]),
            reserve=tuple(data["reserve"]) if data["reserve"] else None,
            reserved_filled=data["reserved_filled"],
            cutoff=data["cutoff"],
            warnings=tuple(data["warnings"]),
        )


@dataclass(frozen=True, slots=True)
class RoundResult:
    """The whole result of one run (see the module docstring for its stored form)."""

    seed_commitment: str
    groups: dict[str, str]
    micro_internships: tuple[MicroInternshipResult, ...]
    students: tuple[StudentResult, ...]
    unconfirmed: int
    warnings: tuple[str, ...]
    overrides_not_applied: tuple[str, ...]

    @property
    def offers(self) -> int:
        """How many students are offered a place."""
        return sum(1 for s in self.students if s.outcome == Outcome.OFFERED)

    def waitlist_for(self, reference: str) -> tuple[str, ...]:
        return next((m.waitlist for m in self.micro_internships if m.reference == reference), ())

    def decisions(self) -> Iterator[tuple[str, str, Decision]]:
        """(student number, reference, decision) for every expression of interest decided."""
        for student in self.students:
            for ref, decision in student.decisions.items():
                yield student.student_number, ref, decision

    def to_json(self) -> dict:
        """The stored form: plain JSON, fields in the order they are declared."""
        return _plain(self)

    @classmethod
    def from_json(cls, data: dict) -> RoundResult:
        return cls(
            seed_commitment=data["seed_commitment"],
            groups=dict(data["groups"]),
            micro_internships=tuple(
                MicroInternshipResult.from_json(m) for m in data["micro_internships"]
            ),
            students=tuple(StudentResult.from_json(s) for s in data["students"]),
            unconfirmed=data["unconfirmed"],
            warnings=tuple(data["warnings"]),
            overrides_not_applied=tuple(data["overrides_not_applied"]),
        )


def _plain(value):
    """A result (or part of one) as JSON: dataclasses become objects, tuples lists, enums
    their values; a Decision is a [state, reason] pair."""
    if isinstance(value, Decision):
        return value.to_json()
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    return value


# ------------------------------------------------------------------ computing it


def compute(selection_round: SelectionRound) -> tuple[dict, dict]:
    """Run the engine on the round as it stands now; returns (inputs snapshot, result) in
    their stored JSON form (what a `SelectionRun` keeps). See `compute_result`."""
    inputs, result = compute_result(selection_round)
    return inputs, result.to_json()


def compute_result(selection_round: SelectionRound) -> tuple[dict, RoundResult]:
    """Run the engine on the round as it stands now. Returns (inputs snapshot, result).

    A micro-internship with no place left before the draw only gets a waiting list: students
    who ranked it above what they got join it in priority order. Students placed by staff
    and students set aside before the draw (cannot come, not on the student record, already
    placed) follow the students of the draw. Refused while the round still takes interest:
    nobody may see a draw before the participant list is sealed.
    """
    if selection_round.state not in RoundState.sealed():
        raise SelectionRefused.because(
            "Dry runs come after interest closes: until then nobody, staff included, can "
            "see who the draw would choose."
        )
    inputs = build_inputs(selection_round)
    allocation = draw(selection_round, inputs)
    labels = wording.group_labels(selection_round.priority)
    titles = {
        e.micro_internship.reference: e.micro_internship.title
        for e in selection_round.entries.select_related("micro_internship__challenge")
    }
    override_reasons = {
        (o.student.student_number, o.micro_internship.reference): o.reason
        for o in selection_round.overrides.select_related("student", "micro_internship")
    }
    drawn, full_waitlists = _drawn_students(inputs, allocation, labels, titles, override_reasons)
    mis = _micro_internships(inputs.snapshot, allocation, labels, titles, full_waitlists)
    snap = inputs.snapshot
    students = [
        *drawn,
        *_given_by_staff(inputs, titles, override_reasons),
        *_set_aside(inputs),
    ]
    result = RoundResult(
        seed_commitment=selection_round.seed_commitment,
        groups={str(k): v for k, v in labels.items()},
        micro_internships=tuple(mis),
        students=tuple(students),
        unconfirmed=sum(1 for row in snap["set_aside"] if row[2] == "unconfirmed"),
        warnings=tuple(f"{m.reference}: {w}" for m in mis for w in m.warnings),
        overrides_not_applied=tuple(snap["overrides_not_applied"]),
    )
    return snap, result


def draw(selection_round: SelectionRound, inputs: Inputs) -> engine.Allocation:
    """Run the engine with the round's lottery: keyed by the seed and the participant digest
    of the seal (see `selection.commitment`), each student's message their pseudonym. A
    round sealed before participant digests existed keeps its original lottery (the seed as
    the key, the student number as the message)."""
    seed, digest = selection_round.seed, selection_round.participants_digest
    if not digest:
        return engine.allocate(inputs.micro_internships, inputs.students, seed)
    return engine.allocate(
        inputs.micro_internships,
        inputs.students,
        commitment.draw_key(seed, digest),
        lottery_messages={s.id: commitment.pseudonym(seed, s.id) for s in inputs.students},
    )


def _interests_by_student(inputs: Inputs) -> dict[str, list[str]]:
    refs_of: dict[str, list[str]] = {}
    for sn, ref in inputs.interests:
        refs_of.setdefault(sn, []).append(ref)
    return refs_of


def _as_ranked(explanation: engine.Explanation, ranking: tuple[str, ...]) -> engine.Explanation:
    """A copy of the engine's explanation with each choice numbered as the student ranked it
    (a full or taken-out choice still counts), not as the engine saw their choices."""
    offered_choice = explanation.offered_choice
    if explanation.offered is not None:
        offered_choice = ranking.index(explanation.offered) + 1
    missed = tuple(
        replace(miss, choice=ranking.index(miss.micro_internship) + 1)
        for miss in explanation.missed
    )
    return replace(explanation, offered_choice=offered_choice, missed=missed)


def _drawn_students(inputs, allocation, labels, titles, override_reasons):
    """Students of the draw in priority order, and the waiting lists of the micro-internships
    that were full before it (reference → student numbers)."""
    removed = {sn: ref for sn, ref in inputs.snapshot["taken_out_by_staff"]}
    refs_of = _interests_by_student(inputs)
    full_waitlists: dict[str, list[str]] = {ref: [] for ref in inputs.full}
    students = []
    for sn in allocation.priority_order:
        ranking = inputs.rankings[sn]
        e = _as_ranked(allocation.explanations[sn], ranking)
        seen = {
            m.micro_internship: wording.competition(allocation, e.tier, m.micro_internship)
            for m in e.missed
        }
        text = wording.lottery_explanation(e, labels, seen)
        waits = {m.micro_internship: m.waitlist_position for m in e.missed}
        above = ranking[: e.offered_choice - 1] if e.offered is not None else ranking
        for ref in above:
            if ref in full_waitlists:
                full_waitlists[ref].append(sn)
                waits[ref] = len(full_waitlists[ref])
                choice = ranking.index(ref) + 1
                text += " " + wording.no_places_left_for_the_draw(choice, waits[ref])
        decisions = {}
        for ref in refs_of.get(sn, ()):
            if ref == e.offered:
                decisions[ref] = Decision(PlaceState.OFFERED, text)
            elif ref in waits:
                reason = wording.on_the_waiting_list(waits[ref], text)
                decisions[ref] = Decision(PlaceState.WAITLISTED, reason)
            elif removed.get(sn) == ref:
                reason = wording.taken_out_by_staff(override_reasons[(sn, ref)])
                decisions[ref] = Decision(PlaceState.NOT_SELECTED, reason)
            elif e.offered is not None:
                reason = wording.offered_a_higher_choice(
                    e.offered_choice, titles[e.offered], e.offered
                )
                decisions[ref] = Decision(PlaceState.NOT_SELECTED, reason)
            else:
                decisions[ref] = Decision(PlaceState.NOT_SELECTED, text)
        if e.offered:
            outcome = Outcome.OFFERED
        else:
            outcome = Outcome.WAITLISTED if waits else Outcome.NOT_SELECTED
        students.append(
            StudentResult(
                student_number=sn,
                **inputs.people[sn],
                group=e.tier,
                lottery_position=e.tier_position,
                outcome=outcome,
                offered=e.offered,
                explanation=text,
                waitlists=waits,
                decisions=decisions,
            )
        )
    return students, full_waitlists


def _micro_internships(snap, allocation, labels, titles, full_waitlists):
    mis = []
    for m in snap["micro_internships"]:
        out = allocation.micro_internships.get(m["id"])
        cutoff = ""
        if out is not None and out.cutoff is not None:
            cutoff = wording.cutoff(out.cutoff.tier, out.cutoff.tier_position, labels)
        mis.append(
            MicroInternshipResult(
                reference=m["id"],
                title=titles[m["id"]],
                places_for_draw=m["places_for_draw"],
                already_taken=m["already_taken"],
                given_by_staff=tuple(snap["given_by_staff"].get(m["id"], [])),
                team=tuple(out.team) if out else (),
                waitlist=tuple(out.waitlist) if out else tuple(full_waitlists[m["id"]]),
                reserve=tuple(m["reserve"]) if m["reserve"] else None,
                reserved_filled=out.reserved_filled if out else 0,
                cutoff=cutoff,
                warnings=tuple(
                    wording.team_warning(w.count, w.programme, w.cap)
                    for w in (out.warnings if out else ())
                ),
            )
        )
    return mis


def _given_by_staff(inputs, titles, override_reasons):
    refs_of = _interests_by_student(inputs)
    students = []
    for ref, numbers in inputs.snapshot["given_by_staff"].items():
        for sn in numbers:
            text = wording.given_a_place_by_staff(override_reasons[(sn, ref)])
            decisions = {
                r: Decision(PlaceState.OFFERED, text)
                if r == ref
                else Decision(
                    PlaceState.NOT_SELECTED, wording.offered_another_place(titles[ref], ref)
                )
                for r in refs_of[sn]
            }
            students.append(_outside_the_draw(inputs, sn, Outcome.OFFERED, ref, text, decisions))
    return students


def _set_aside(inputs):
    """Students set aside before the draw (one row each, with their first reason). Those who
    cannot come or are not on the student record are told so on each interest; an interest
    of a student already placed in the round is left as it is."""
    reasons: dict[str, str] = {}
    decisions: dict[str, dict[str, Decision]] = {}
    for sn, ref, why in inputs.snapshot["set_aside"]:
        if why == "unconfirmed":
            continue
        reasons.setdefault(sn, wording.SET_ASIDE[why])
        decided = decisions.setdefault(sn, {})
        if why in ("cannot_attend", "not_enrolled"):
            decided[ref] = Decision(PlaceState.NOT_SELECTED, wording.SET_ASIDE[why])
    return [
        _outside_the_draw(inputs, sn, Outcome.NOT_SELECTED, None, reason, decisions[sn])
        for sn, reason in reasons.items()
    ]


def _outside_the_draw(inputs, sn, outcome, offered, explanation, decisions) -> StudentResult:
    """A student the lottery did not place: no priority group, no lottery position."""
    return StudentResult(
        student_number=sn,
        **inputs.people[sn],
        group=None,
        lottery_position=None,
        outcome=outcome,
        offered=offered,
        explanation=explanation,
        waitlists={},
        decisions=decisions,
    )
