"""Selection rounds: set up, dry run, override, publish, and keep waiting lists moving.

The fair part is `selection.engine` (pure Python). This module turns the database into the
engine's plain inputs, turns its result into plain-English outcomes, and applies a published
result through `applications.domain.transition_place` (the one way a place changes, which
locks rows, checks capacity, logs and queues each email).

Who is considered: every expression of interest in the round's micro-internships that awaits
a decision (received or waitlisted), whose student has shown the address is theirs
(`verified_at`), who said they can come on the day, who is enrolled (on the student record,
once the university imports one: `queries.enrolment_is_known`), and who does not already hold
a place on one of the round's micro-internships. A student's ranking is `preference_rank`
where given, otherwise the order they said they were interested.

Priority groups come from the round's `priority` list (criteria in order); special-category
data is never read here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.domain import log_activity
from microintern.core.errors import CapacityFull, TransitionNotAllowed
from microintern.programme.domain import transition_micro_internship
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

from . import engine, queries
from .enums import EVERYONE_ELSE, OverrideAction, PriorityGroup, RoundState, RunKind
from .models import Override, RoundMicroInternship, SelectionRound, SelectionRun

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


class SelectionRefused(TransitionNotAllowed):
    """A round cannot be run, changed or published; the message says why."""


# ----------------------------------------------------------------------------- set up


def new_seed() -> str:
    return secrets.token_hex(32)


def group_labels(priority: list[str]) -> dict[int, str]:
    """Priority group number → plain label, e.g. {1: "never taken part ...", 2: ..., 3: ...}."""
    labels = {i: PriorityGroup(key).label for i, key in enumerate(priority, 1)}
    labels[len(priority) + 1] = EVERYONE_ELSE
    return labels


def _check_priority(priority: list[str]) -> list[str]:
    if len(set(priority)) != len(priority) or not set(priority) <= set(PriorityGroup.values):
        raise SelectionRefused.because("Each priority group can be used once.")
    return list(priority)


@transaction.atomic
def create_round(
    *, name: str, micro_internships, priority: list[str], actor=None, now: datetime | None = None
) -> SelectionRound:
    """Create a draft round with a fresh secret seed and publish its commitment.

    Rules: the seed's SHA-256 is public from now on, so every micro-internship must still be
    taking interest (its window not yet closed) — otherwise people could not check the seed
    was chosen before anyone knew who had applied. Logs `selection.round_created`.
    """
    now = now or timezone.now()
    mis = list(micro_internships)
    if not mis:
        raise SelectionRefused.because("Choose at least one micro-internship.")
    closed = [mi.reference for mi in mis if mi.interest_closes_at <= now]
    if closed:
        raise SelectionRefused.because(
            f"Interest has already closed for {', '.join(closed)}: a round must be set up "
            "(and its seed commitment published) before interest closes."
        )
    seed = new_seed()
    selection_round = SelectionRound.objects.create(
        name=name.strip(),
        priority=_check_priority(priority),
        seed=seed,
        seed_commitment=engine.seed_commitment(seed),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    RoundMicroInternship.objects.bulk_create(
        RoundMicroInternship(round=selection_round, micro_internship=mi) for mi in mis
    )
    log_activity(
        selection_round,
        "selection.round_created",
        actor=actor,
        micro_internships=[mi.reference for mi in mis],
        priority=selection_round.priority,
        seed_commitment=selection_round.seed_commitment,
    )
    return selection_round


def _ensure_not_published(selection_round: SelectionRound) -> None:
    if selection_round.state == RoundState.PUBLISHED:
        raise SelectionRefused.because("This round is published; it can no longer change.")
    if selection_round.state == RoundState.PUBLISHING:
        raise SelectionRefused.because(
            "This round is being published; it can no longer change. Reload in a minute."
        )


@transaction.atomic
def update_policy(
    selection_round: SelectionRound,
    *,
    priority: list[str],
    entries: list[dict],
    name: str = "",
    actor=None,
) -> SelectionRound:
    """Change the name, the priority order and each micro-internship's reserve and
    programme cap.

    `entries` are dicts with `entry` (a RoundMicroInternship), `reserve_group`,
    `reserve_seats` and `programme_cap`. Rules: not once published; a reserve fits the
    team and names an existing group. The seed never changes. Logs `selection.policy_changed`.
    """
    _ensure_not_published(selection_round)
    selection_round.priority = _check_priority(priority)
    groups = len(selection_round.priority) + 1
    for item in entries:
        entry = item["entry"]
        seats = item["reserve_seats"] or 0
        group = item["reserve_group"] if seats else None
        if seats and not (group and 1 <= group <= groups):
            raise SelectionRefused.because(
                f"The reserve on {entry.micro_internship.reference} must name a priority group "
                f"from 1 to {groups}."
            )
        if seats > entry.micro_internship.capacity:
            raise SelectionRefused.because(
                f"{entry.micro_internship.reference} has {entry.micro_internship.capacity} "
                "places; its reserve cannot be larger."
            )
        entry.reserve_group, entry.reserve_seats = group, seats
        entry.programme_cap = item["programme_cap"]
        entry.save(update_fields=["reserve_group", "reserve_seats", "programme_cap"])
    selection_round.name = name.strip() or selection_round.name
    selection_round.save(update_fields=["priority", "name"])
    log_activity(
        selection_round,
        "selection.policy_changed",
        actor=actor,
        priority=selection_round.priority,
        entries={
            i["entry"].micro_internship.reference: [
                i["entry"].reserve_group,
                i["entry"].reserve_seats,
                i["entry"].programme_cap,
            ]
            for i in entries
        },
    )
    return selection_round


@transaction.atomic
def add_override(
    selection_round: SelectionRound,
    *,
    student,
    micro_internship: MicroInternship,
    action: OverrideAction,
    reason: str,
    actor=None,
) -> Override:
    """Record a staff override for the next run: give `student` a place on the
    micro-internship (`add`) or take them out of it (`remove`).

    Rules: a reason is needed (the student is told it; also a database rule); the student
    must have said they are interested in it; at most one override per student per round;
    not once published. Logs `selection.override_added` with the reason.
    """
    _ensure_not_published(selection_round)
    reason = reason.strip()
    if not reason:
        raise SelectionRefused.because("Give a reason for the override; the student is told it.")
    if not selection_round.entries.filter(micro_internship=micro_internship).exists():
        raise SelectionRefused.because(f"{micro_internship.reference} is not in this round.")
    if not ExpressionOfInterest.objects.filter(
        student=student, micro_internship=micro_internship
    ).exists():
        raise SelectionRefused.because(
            f"{student.full_name} has not said they are interested in {micro_internship.reference}."
        )
    if selection_round.overrides.filter(student=student).exists():
        raise SelectionRefused.because(
            f"There is already an override for {student.full_name}; remove it first."
        )
    override = Override.objects.create(
        round=selection_round,
        student=student,
        micro_internship=micro_internship,
        action=OverrideAction(action),
        reason=reason,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    log_activity(
        selection_round,
        "selection.override_added",
        actor=actor,
        override=override.action,
        student=student.student_number,
        micro_internship=micro_internship.reference,
        reason=reason,
    )
    return override


@transaction.atomic
def remove_override(override: Override, *, actor=None) -> None:
    """Take back an override (before publishing). Logs `selection.override_removed`."""
    _ensure_not_published(override.round)
    log_activity(
        override.round,
        "selection.override_removed",
        actor=actor,
        override=override.action,
        student=override.student.student_number,
        micro_internship=override.micro_internship.reference,
        reason=override.reason,
    )
    override.delete()


# ------------------------------------------------------------------------ the inputs


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


def _ranked(interests: list[ExpressionOfInterest]) -> list[ExpressionOfInterest]:
    """A student's interests best first: their preference_rank where given, else the order
    they applied in (ranked ones before unranked ones)."""
    return sorted(
        interests,
        key=lambda i: (i.preference_rank is None, i.preference_rank or 0, i.received_at, i.pk),
    )


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
        if interest.verified_at is None:
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
    students, people, rankings = [], {}, {}
    for student_id, rows in by_student.items():
        student = rows[0].student
        ranking = tuple(
            i.micro_internship.reference
            for i in _ranked(rows)
            if not (
                student_id in removed
                and removed[student_id].micro_internship_id == i.micro_internship_id
            )
        )
        rankings[student.student_number] = ranking
        choices = tuple(ref for ref in ranking if ref not in full)
        tier = _tier(student, student_id in had, selection_round.priority)
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


def _tier(student, had_an_opportunity: bool, priority: list[str]) -> int:
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


# -------------------------------------------------------------------------- a run

SET_ASIDE_REASONS = {
    "cannot_attend": "You told us you could not come on the day, so we could not offer you "
    "this place.",
    "placed": "You already have a place on a micro-internship in this round.",
    "not_enrolled": "We could not find you on the university's student record, so we could "
    "not offer you a place. If you study here, please contact the Business Clinic and we will "
    "sort it out.",
}


def _cutoff_text(cutoff: dict | None, labels: dict[int, str]) -> str:
    if not cutoff:
        return ""
    return (
        f"priority group {cutoff['tier']} ({labels.get(cutoff['tier'], '')}), "
        f"lottery position {cutoff['tier_position']}"
    )


def compute(selection_round: SelectionRound) -> tuple[dict, dict]:
    """Run the engine on the round as it stands now. Returns (inputs snapshot, result).

    The result (JSON) is what the staff page, the command line and publishing all use:
    `micro_internships` (team, waiting list, cut-off, warnings) and `students` in priority
    order, each with an outcome, the explanation in words and a decision per interest.
    A micro-internship with no place left before the draw only gets a waiting list.
    """
    inputs = build_inputs(selection_round)
    allocation = engine.allocate(inputs.micro_internships, inputs.students, selection_round.seed)
    labels = group_labels(selection_round.priority)
    snap = inputs.snapshot
    titles = {
        e.micro_internship.reference: e.micro_internship.title
        for e in selection_round.entries.select_related("micro_internship__challenge")
    }
    removed = {sn: ref for sn, ref in snap["taken_out_by_staff"]}
    reasons = {
        (o.student.student_number, o.micro_internship.reference): o.reason
        for o in selection_round.overrides.select_related("student", "micro_internship")
    }
    refs_of: dict[str, list[str]] = {}
    for sn, ref in inputs.interests:
        refs_of.setdefault(sn, []).append(ref)
    full_waitlists: dict[str, list[str]] = {ref: [] for ref in inputs.full}
    students = []
    for sn in allocation.priority_order:
        e = allocation.explanations[sn]
        ranking = inputs.rankings[sn]
        # Ordinals as the student ranked them (a full or taken-out choice still counts).
        if e.offered is not None:
            e.offered_choice = ranking.index(e.offered) + 1
        for miss in e.missed:
            miss.choice = ranking.index(miss.micro_internship) + 1
        text = engine.render_explanation(e, labels)
        waits = {m.micro_internship: m.waitlist_position for m in e.missed}
        above = ranking[: e.offered_choice - 1] if e.offered is not None else ranking
        for ref in above:
            if ref in full_waitlists:
                full_waitlists[ref].append(sn)
                waits[ref] = len(full_waitlists[ref])
                text += (
                    f" Your {ORDINALS[ranking.index(ref)]} choice had no places left for this "
                    f"draw; you are number {waits[ref]} on its waiting list."
                )
        decisions = {}
        for ref in refs_of.get(sn, ()):
            if ref == e.offered:
                decisions[ref] = [PlaceState.OFFERED.value, text]
            elif ref in waits:
                decisions[ref] = [
                    PlaceState.WAITLISTED.value,
                    f"You are number {waits[ref]} on the waiting list for this micro-internship. "
                    + text,
                ]
            elif removed.get(sn) == ref:
                decisions[ref] = [
                    PlaceState.NOT_SELECTED.value,
                    "The Business Clinic team took you out of this selection: "
                    + reasons[(sn, ref)],
                ]
            elif e.offered is not None:
                decisions[ref] = [
                    PlaceState.NOT_SELECTED.value,
                    f"You were offered a place on your {ORDINALS[e.offered_choice - 1]} choice, "
                    f"“{titles[e.offered]}” ({e.offered}), which you ranked higher.",
                ]
            else:
                decisions[ref] = [PlaceState.NOT_SELECTED.value, text]
        students.append(
            {
                "student_number": sn,
                **inputs.people[sn],
                "group": e.tier,
                "lottery_position": e.tier_position,
                "outcome": "offered" if e.offered else ("waitlisted" if waits else "not_selected"),
                "offered": e.offered,
                "explanation": text,
                "waitlists": waits,
                "decisions": decisions,
            }
        )
    mis = []
    for m in snap["micro_internships"]:
        out = allocation.micro_internships.get(m["id"])
        cutoff = None
        if out is not None and out.cutoff is not None:
            cutoff = {"tier": out.cutoff.tier, "tier_position": out.cutoff.tier_position}
        mis.append(
            {
                "reference": m["id"],
                "title": titles[m["id"]],
                "places_for_draw": m["places_for_draw"],
                "already_taken": m["already_taken"],
                "given_by_staff": snap["given_by_staff"].get(m["id"], []),
                "team": list(out.team) if out else [],
                "waitlist": list(out.waitlist) if out else full_waitlists[m["id"]],
                "reserve": m["reserve"],
                "reserved_filled": out.reserved_filled if out else 0,
                "cutoff": _cutoff_text(cutoff, labels),
                "warnings": [
                    f"{w.count} students from {w.programme or 'an unknown programme'} "
                    f"(the soft cap is {w.cap})"
                    for w in (out.warnings if out else ())
                ],
            }
        )
    for ref, numbers in snap["given_by_staff"].items():
        for sn in numbers:
            text = f"The Business Clinic team gave you a place: {reasons[(sn, ref)]}"
            decisions = {
                r: [PlaceState.OFFERED.value, text]
                if r == ref
                else [
                    PlaceState.NOT_SELECTED.value,
                    f"You were offered a place on “{titles[ref]}” ({ref}).",
                ]
                for r in refs_of[sn]
            }
            students.append(
                {
                    "student_number": sn,
                    **inputs.people[sn],
                    "group": None,
                    "lottery_position": None,
                    "outcome": "offered",
                    "offered": ref,
                    "explanation": text,
                    "waitlists": {},
                    "decisions": decisions,
                }
            )
    set_aside = {}
    for sn, ref, why in snap["set_aside"]:
        if why == "unconfirmed":
            continue
        row = set_aside.setdefault(
            sn,
            {
                "student_number": sn,
                **inputs.people[sn],
                "group": None,
                "lottery_position": None,
                "outcome": "not_selected",
                "offered": None,
                "explanation": SET_ASIDE_REASONS[why],
                "waitlists": {},
                "decisions": {},
            },
        )
        if why in ("cannot_attend", "not_enrolled"):
            row["decisions"][ref] = [PlaceState.NOT_SELECTED.value, SET_ASIDE_REASONS[why]]
    students.extend(set_aside.values())
    result = {
        "seed_commitment": selection_round.seed_commitment,
        "groups": {str(k): v for k, v in labels.items()},
        "micro_internships": mis,
        "students": students,
        "unconfirmed": sum(1 for row in snap["set_aside"] if row[2] == "unconfirmed"),
        "warnings": [f"{m['reference']}: {w}" for m in mis for w in m["warnings"]],
        "overrides_not_applied": snap["overrides_not_applied"],
    }
    return snap, result


@transaction.atomic
def dry_run(selection_round: SelectionRound, *, actor=None) -> SelectionRun:
    """Run the round without changing anyone's place and keep the run (inputs and result).

    Rules: not once published. Side effects: the round moves to "dry run"; logs
    `selection.dry_run` with the run id and the number of offers.
    """
    _ensure_not_published(selection_round)
    inputs, result = compute(selection_round)
    run = SelectionRun.objects.create(
        round=selection_round,
        kind=RunKind.DRY_RUN,
        inputs=inputs,
        result=result,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if selection_round.state == RoundState.DRAFT:
        selection_round.state = RoundState.DRY_RUN
        selection_round.save(update_fields=["state"])
    log_activity(
        selection_round,
        "selection.dry_run",
        actor=actor,
        run=run.pk,
        offers=sum(1 for s in result["students"] if s["outcome"] == "offered"),
    )
    return run


def _check_publishable(locked: SelectionRound, dry_run_id: int) -> SelectionRun:
    checked = locked.runs.filter(pk=dry_run_id, kind=RunKind.DRY_RUN).first()
    if checked is None:
        raise SelectionRefused.because("Make a dry run and check it before publishing.")
    still_open = [
        e.micro_internship.reference
        for e in locked.entries.select_related("micro_internship")
        if e.micro_internship.state != MicroInternshipState.CLOSED
    ]
    if still_open:
        raise SelectionRefused.because(
            f"Close interest first: {', '.join(still_open)} must be “Closed for interest” "
            "before the selection is published."
        )
    return checked


@transaction.atomic
def start_publishing(selection_round: SelectionRound, *, dry_run_id: int, actor=None) -> None:
    """Staff asked to publish dry run `dry_run_id`: check what can be checked at once, mark
    the round "publishing" (nothing else can change it now) and let the worker publish it
    (`tasks.publish_round` after commit → `finish_publishing`), because a large round takes
    longer than a web request should. Logs `selection.publishing`.
    """
    locked = SelectionRound.objects.select_for_update().get(pk=selection_round.pk)
    _ensure_not_published(locked)
    _check_publishable(locked, dry_run_id)
    locked.state = RoundState.PUBLISHING
    locked.save(update_fields=["state"])
    log_activity(locked, "selection.publishing", actor=actor, dry_run=dry_run_id)
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    from . import tasks

    transaction.on_commit(partial(tasks.publish_round.enqueue, locked.pk, dry_run_id, actor_id))
    selection_round.state = locked.state


def finish_publishing(round_id: int, *, dry_run_id: int, actor_id: int | None = None) -> str:
    """The worker's half of publishing: `publish`, or, when it is refused (something changed
    since the dry run), put the round back to "dry run" and log `selection.publish_failed`
    with the reason for staff. Returns "published" or the reason."""
    from django.contrib.auth import get_user_model

    selection_round = SelectionRound.objects.get(pk=round_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        publish(selection_round, dry_run_id=dry_run_id, actor=actor)
    except TransitionNotAllowed as error:
        with transaction.atomic():
            SelectionRound.objects.filter(pk=round_id, state=RoundState.PUBLISHING).update(
                state=RoundState.DRY_RUN
            )
            log_activity(
                selection_round, "selection.publish_failed", actor=actor, reason=str(error)
            )
        return str(error)
    return "published"


@transaction.atomic
def publish(selection_round: SelectionRound, *, dry_run_id: int, actor=None) -> SelectionRun:
    """Publish the dry run staff looked at: every decision goes out, the seed is revealed.

    Rules: the round must not be published yet; every micro-internship must be closed for
    interest; the inputs must be exactly those of dry run `dry_run_id` (otherwise something
    changed since staff checked it, and they must run again). Side effects, all in one
    transaction: each interest moves through `transition_place` (OFFERED with the
    explanation as its reason and a reply-by time; WAITLISTED with the waiting-list
    position; NOT_SELECTED with the reason), which queues each email; each micro-internship
    moves to "selection published"; the round records the published run and reveals its
    seed; logs `selection.published`. Staff pages go through `start_publishing`.
    """
    locked = SelectionRound.objects.select_for_update().get(pk=selection_round.pk)
    if locked.state == RoundState.PUBLISHED:
        raise SelectionRefused.because("This round is published; it can no longer change.")
    checked = _check_publishable(locked, dry_run_id)
    entries = list(locked.entries.select_related("micro_internship"))
    inputs, result = compute(locked)
    if inputs != checked.inputs:
        raise SelectionRefused.because(
            "Something changed since this dry run (new or changed interest, places or "
            "overrides). Run it again and check the result before publishing."
        )
    run = SelectionRun.objects.create(
        round=locked,
        kind=RunKind.PUBLISHED,
        inputs=inputs,
        result=result,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    interests = {
        (i.student.student_number, i.micro_internship.reference): i
        for i in queries.interests_in_round(locked)
    }
    # Offers first (they need the seats), then the waiting lists, then everyone else.
    order = [PlaceState.OFFERED.value, PlaceState.WAITLISTED.value, PlaceState.NOT_SELECTED.value]
    decisions = sorted(
        (
            (order.index(state), sn, ref, state, reason)
            for student in result["students"]
            for ref, (state, reason) in student["decisions"].items()
            for sn in [student["student_number"]]
        ),
    )
    for _rank, sn, ref, state, reason in decisions:
        interest = interests[(sn, ref)]
        if interest.state == state:
            continue
        transition_place(interest, PlaceState(state), actor=actor, reason=reason)
    for entry in entries:
        transition_micro_internship(
            entry.micro_internship, MicroInternshipState.SELECTION_PUBLISHED, actor=actor
        )
    locked.state = RoundState.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["state", "published_at"])
    log_activity(
        locked,
        "selection.published",
        actor=actor,
        run=run.pk,
        dry_run=checked.pk,
        seed=locked.seed,
        offers=sum(1 for d in decisions if d[3] == PlaceState.OFFERED),
    )
    selection_round.refresh_from_db()
    return run


# -------------------------------------------------------------- after publishing


def after_place_change(interest, from_state: PlaceState, to_state: PlaceState) -> None:
    """Called by `transition_place` inside its transaction after every change.

    When a place comes free (an offer declined, expired or withdrawn, or an accepted place
    withdrawn), `tasks.promote_from_waitlist` is enqueued after commit; when a place is
    accepted, `tasks.release_other_places` (at most one place per student per round).
    Nothing happens for a micro-internship that is in no published round.
    """
    from . import tasks

    seat = PlaceState.holding_a_seat()
    freed = from_state in seat and to_state not in seat
    if not (freed or to_state == PlaceState.ACCEPTED):
        return
    if not queries.published_rounds_with(interest.micro_internship_id).exists():
        return
    if freed:
        transaction.on_commit(
            partial(tasks.promote_from_waitlist.enqueue, interest.micro_internship_id)
        )
    else:
        transaction.on_commit(partial(tasks.release_other_places.enqueue, interest.pk))


def promote_waiting_lists(
    micro_internship_id: int, *, now: datetime | None = None
) -> list[ExpressionOfInterest]:
    """A place on the micro-internship came free: promote on it first, then on every other
    micro-internship of its published round(s) — the student who left may have been passed
    over there while they held this place (see `promote_from_waitlist`)."""
    ids = [micro_internship_id]
    for rid in queries.published_rounds_with(micro_internship_id).values_list("pk", flat=True):
        for other in RoundMicroInternship.objects.filter(round_id=rid).values_list(
            "micro_internship_id", flat=True
        ):
            if other not in ids:
                ids.append(other)
    return [offer for mi_id in ids for offer in promote_from_waitlist(mi_id, now=now)]


def promote_from_waitlist(
    micro_internship_id: int, *, now: datetime | None = None
) -> list[ExpressionOfInterest]:
    """Offer every free place to the next students on the published waiting list.

    Rules: only for a micro-internship whose selection is published and whose day has not
    begun; the order is the published waiting list (priority group, then lottery); only
    students still on the waiting list are offered, and not while they hold a place in the
    round that they ranked higher; capacity is checked under the
    micro-internship's row lock (inside `transition_place`), so a promotion can never
    overbook. Side effects: each offer goes through `transition_place` (logged, emailed,
    with a reply-by time). Returns the interests offered.
    """
    now = now or timezone.now()
    offered = []
    with transaction.atomic():
        mi = MicroInternship.objects.select_for_update().get(pk=micro_internship_id)
        if mi.state != MicroInternshipState.SELECTION_PUBLISHED or now >= mi.starts_at:
            return []
        run = queries.published_run_for(mi)
        if run is None:
            return []
        waitlist = next(
            (
                m["waitlist"]
                for m in run.result["micro_internships"]
                if m["reference"] == mi.reference
            ),
            [],
        )
        free = mi.capacity - queries.seats_held(mi)
        if free <= 0 or not waitlist:
            return []
        waiting = {
            i.student.student_number: i
            for i in mi.interests.filter(state=PlaceState.WAITLISTED).select_related("student")
        }
        for position, sn in enumerate(waitlist, 1):
            if len(offered) == free:
                break
            interest = waiting.get(sn)
            if interest is None:
                continue
            elsewhere = (
                ExpressionOfInterest.objects.filter(
                    student=interest.student,
                    state__in=[PlaceState.OFFERED, PlaceState.ACCEPTED],
                    micro_internship__round_entries__round=run.round,
                )
                .select_related("micro_internship__challenge")
                .first()
            )
            if elsewhere is not None and _ranks_higher(
                run, sn, elsewhere.micro_internship.reference, mi.reference
            ):
                continue  # they hold a place they prefer: this one goes to the next student
            reason = f"A place came free and you were next on the waiting list (number {position})."
            if elsewhere is not None:
                reason += (
                    f" If you accept, your place on “{elsewhere.micro_internship.title}” "
                    f"({elsewhere.micro_internship.reference}) goes to the next student."
                )
            try:
                transition_place(interest, PlaceState.OFFERED, reason=reason, now=now)
            except CapacityFull:
                break
            log_activity(interest, "selection.promoted", position=position, run=run.pk)
            offered.append(interest)
    return offered


def _ranks_higher(run: SelectionRun, student_number: str, ref: str, than: str) -> bool:
    """Whether the student ranked micro-internship `ref` above `than` (published inputs)."""
    ranking = next((s["choices"] for s in run.inputs["students"] if s["id"] == student_number), [])
    return ref in ranking and (than not in ranking or ranking.index(ref) < ranking.index(than))


def release_other_places(interest_id: int) -> list[ExpressionOfInterest]:
    """A student accepted a place: withdraw their other offered or accepted places in the
    same published round, so each student has at most one place per round and the freed
    places go to the next students waiting; their waiting-list places for micro-internships
    they ranked lower become "not selected" (they would never take them). Each change goes
    through `transition_place`."""
    interest = ExpressionOfInterest.objects.select_related(
        "micro_internship__challenge", "student"
    ).get(pk=interest_id)
    if interest.state != PlaceState.ACCEPTED:
        return []
    rounds = queries.published_rounds_with(interest.micro_internship)
    others = (
        ExpressionOfInterest.objects.filter(
            student_id=interest.student_id,
            state__in=[PlaceState.OFFERED, PlaceState.ACCEPTED],
            micro_internship__round_entries__round__in=rounds,
        )
        .exclude(pk=interest.pk)
        .distinct()
    )
    released = []
    mi = interest.micro_internship
    for other in others:
        transition_place(
            other,
            PlaceState.WITHDRAWN,
            reason=f"You accepted a place on “{mi.title}” ({mi.reference}), so this place "
            "goes to the next student on the waiting list.",
        )
        released.append(other)
    sn = interest.student.student_number
    for run in SelectionRun.objects.filter(kind=RunKind.PUBLISHED, round__in=rounds):
        lower = ExpressionOfInterest.objects.filter(
            student_id=interest.student_id,
            state=PlaceState.WAITLISTED,
            micro_internship__round_entries__round=run.round,
        ).select_related("micro_internship")
        for waiting in lower:
            if _ranks_higher(run, sn, mi.reference, waiting.micro_internship.reference):
                transition_place(
                    waiting,
                    PlaceState.NOT_SELECTED,
                    reason=f"You accepted a place on “{mi.title}” ({mi.reference}), which you "
                    "ranked higher.",
                )
                released.append(waiting)
    return released


def expire_offers(now: datetime | None = None) -> str:
    """The periodic job: every offer past its reply-by time expires (which frees the place
    for the next student waiting). Each expiry is its own transaction through
    `transition_place`. Returns a short summary (empty when nothing expired)."""
    now = now or timezone.now()
    due = ExpressionOfInterest.objects.filter(
        state=PlaceState.OFFERED, offer_expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(due):
        interest = ExpressionOfInterest.objects.get(pk=pk)
        try:
            transition_place(
                interest,
                PlaceState.EXPIRED,
                reason="The reply-by time passed without an answer.",
                now=now,
            )
        except TransitionNotAllowed:
            continue  # answered in the meantime
        expired += 1
    return f"expired {expired} offers" if expired else ""
