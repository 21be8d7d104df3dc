"""Selection rounds: set up, policy, overrides, dry runs, publishing — and the one way a
round changes state (`transition_round`).

A round is set up as a draft with a fresh secret seed whose SHA-256 is public at once; staff
change its policy and overrides and make dry runs (the first one moves it to "dry run"); a
publish request moves it to "publishing" and the worker (`publish_round`) publishes the dry
run staff checked, or puts the round back to "dry run" with the reason on the round
(`publish_failure`) when something changed since. Publishing applies every `Decision` of
the result at once through `applications.domain.plan_places` and `apply_places` (the place
lifecycle's rules for many places together: prepared from rows read before the write
transaction, then rows locked and checked unchanged, logs and emails written in bulk).
"""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.applications.domain import PlacesPlan, apply_places, plan_places
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.applications.notifications import holding_emails
from microintern.core.domain import PreparedInsert, log_activity, prepare_insert
from microintern.core.errors import ChangedSinceRead, TransitionNotAllowed
from microintern.core.locking import current_images, lock_images, lock_row, lock_rows
from microintern.core.tasks import retrying_task
from microintern.hosts.models import Challenge
from microintern.mail.outbox import new_action_key, one_action
from microintern.programme.domain import transition_micro_internship
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

from .. import commitment, engine, queries
from ..enums import ROUND_TRANSITIONS, OverrideAction, PriorityGroup, RoundState, RunKind
from ..errors import SelectionRefused
from ..models import Override, RoundMicroInternship, SelectionRound, SelectionRun
from .inputs import priority_group, ranked
from .results import RoundResult, compute_result

# The activity logged for each move of a round.
ROUND_LOG_ACTIONS: dict[tuple[RoundState, RoundState], str] = {
    (RoundState.DRAFT, RoundState.CLOSED): "selection.closed",
    (RoundState.CLOSED, RoundState.DRAFT): "selection.reopened",
    (RoundState.DRY_RUN, RoundState.DRAFT): "selection.reopened",
    (RoundState.CLOSED, RoundState.DRY_RUN): "selection.dry_run",
    (RoundState.DRY_RUN, RoundState.PUBLISHING): "selection.publishing",
    (RoundState.DRY_RUN, RoundState.PUBLISHED): "selection.published",
    (RoundState.PUBLISHING, RoundState.PUBLISHED): "selection.published",
    (RoundState.PUBLISHING, RoundState.DRY_RUN): "selection.publish_failed",
}


# ------------------------------------------------------------------ the lifecycle


def transition_round(
    selection_round: SelectionRound,
    to_state: RoundState,
    *,
    actor=None,
    reason: str = "",
    log: dict | None = None,
    **fields,
) -> SelectionRound:
    """The one way a selection round changes state.

    Rules: only moves in ROUND_TRANSITIONS (otherwise `SelectionRefused`, and nothing
    changes); the round's row is locked first (`Busy` past the lock timeout). `fields` are
    other columns of the round that change with the move (e.g. `published_at`). Side
    effects: saves, logs the move's action (ROUND_LOG_ACTIONS) with the previous state, the
    reason and `log`; when the round moves to "publishing" queues `publish_round` for the
    worker after commit; when it is published its micro-internships are free for another
    round (`round_open`). The caller's `selection_round` is updated to match.
    """
    to_state = RoundState(to_state)
    if "state" in fields:
        raise TypeError("Give the new state as to_state.")
    with transaction.atomic():
        locked = lock_row(SelectionRound, selection_round.pk)
        from_state = RoundState(locked.state)
        if to_state not in ROUND_TRANSITIONS[from_state]:
            raise SelectionRefused("selection round", from_state.label, to_state.label)
        locked.state = to_state
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["state", *fields])
        if to_state == RoundState.PUBLISHED:
            RoundMicroInternship.objects.filter(round=locked).update(round_open=False)
        data = {"from_state": from_state.value, **(log or {})}
        if reason:
            data["reason"] = reason
        log_activity(locked, ROUND_LOG_ACTIONS[(from_state, to_state)], actor=actor, **data)
        if to_state == RoundState.PUBLISHING:
            actor_id = _staff(actor).pk if _staff(actor) else None
            transaction.on_commit(
                partial(publish_round.enqueue, locked.pk, locked.publishing_run_id, actor_id)
            )
    for name in ("state", *fields):
        setattr(selection_round, name, getattr(locked, name))
    return locked


def _staff(actor):
    """The signed-in person who acted, or None (the system, an anonymous request)."""
    return actor if getattr(actor, "is_authenticated", False) else None


# ------------------------------------------------------------------------ set up


def new_seed() -> str:
    return secrets.token_hex(32)


def _check_priority(priority: list[str]) -> list[str]:
    if len(set(priority)) != len(priority) or not set(priority) <= set(PriorityGroup.values):
        raise SelectionRefused.because("Each priority group can be used once.")
    return list(priority)


def current_policy(selection_round: SelectionRound) -> dict:
    """The round's canonical policy as it stands now (places are the micro-internships'
    capacities now)."""
    return commitment.canonical_policy(
        selection_round.priority,
        (
            {
                "reference": e.micro_internship.reference,
                "capacity": e.micro_internship.capacity,
                "reserve": [e.reserve_group, e.reserve_seats] if e.reserve_seats else None,
                "programme_cap": e.programme_cap,
            }
            for e in selection_round.entries.select_related("micro_internship")
        ),
    )


def _commit(selection_round: SelectionRound, policy: dict) -> None:
    """Set the round's committed policy and its fingerprint (not saved)."""
    selection_round.policy = policy
    selection_round.commitment = commitment.commitment(
        selection_round.seed_commitment, policy, selection_round.analysis_plan
    )


@transaction.atomic
def create_round(
    *,
    name: str,
    micro_internships,
    priority: list[str],
    analysis_plan: str = "",
    actor=None,
    now: datetime | None = None,
) -> SelectionRound:
    """Create a draft round with a fresh secret seed and publish its commitment.

    Rules: the fingerprint (seed, policy, analysis plan) is public from now on, so every
    micro-internship must still be taking interest (its window not yet closed) — otherwise
    people could not check all of it was fixed before anyone knew who had applied; and a
    micro-internship can be in only one open round (also a database rule). Logs
    `selection.round_created` with the fingerprint and the policy.
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
    taken = sorted(
        RoundMicroInternship.objects.filter(micro_internship__in=mis, round_open=True)
        .select_related("micro_internship", "round")
        .values_list("micro_internship__reference", "round__name")
    )
    if taken:
        raise SelectionRefused.because(
            "A micro-internship can be in only one open round: "
            + ", ".join(f"{ref} is in “{round_name}”" for ref, round_name in taken)
            + "."
        )
    seed = new_seed()
    selection_round = SelectionRound(
        name=name.strip(),
        priority=_check_priority(priority),
        seed=seed,
        seed_commitment=engine.seed_commitment(seed),
        analysis_plan=analysis_plan.strip(),
        created_by=_staff(actor),
    )
    _commit(
        selection_round,
        commitment.canonical_policy(
            selection_round.priority,
            (
                {"reference": mi.reference, "capacity": mi.capacity}
                | {"reserve": None, "programme_cap": None}
                for mi in mis
            ),
        ),
    )
    selection_round.save()
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
        commitment=selection_round.commitment,
        policy=selection_round.policy,
    )
    return selection_round


def _ensure_not_published(selection_round: SelectionRound) -> None:
    if selection_round.state == RoundState.PUBLISHED:
        raise SelectionRefused.because("This round is published; it can no longer change.")
    if selection_round.state == RoundState.PUBLISHING:
        raise SelectionRefused.because(
            "This round is being published; it can no longer change. Reload in a minute."
        )


def _ensure_open_for_interest(selection_round: SelectionRound) -> None:
    _ensure_not_published(selection_round)
    if selection_round.is_sealed:
        raise SelectionRefused.because(
            "Interest has closed for this round, so its policy is fixed. To change it, "
            "re-open the round first (with a reason, shown on the public page)."
        )


def _required_reason(reason: str, what: str) -> str:
    reason = reason.strip()
    if not reason:
        raise SelectionRefused.because(f"Give a reason for {what}; it is shown on the public page.")
    return reason


@transaction.atomic
def update_policy(
    selection_round: SelectionRound,
    *,
    priority: list[str],
    entries: list[dict],
    reason: str,
    name: str = "",
    analysis_plan: str | None = None,
    actor=None,
) -> SelectionRound:
    """Change the name, the priority order, the analysis plan and each micro-internship's
    reserve and programme cap, and commit to the new policy.

    `entries` are dicts with `entry` (a RoundMicroInternship), `reserve_group`,
    `reserve_seats` and `programme_cap`. Rules: only while interest is open (before the
    round is sealed); a reason is needed (it is public); a reserve fits the team and names an
    existing group. The seed never changes. Logs `selection.policy_changed` with the reason,
    the new fingerprint and the new policy (the public page lists each change).
    """
    locked = lock_row(SelectionRound, selection_round.pk)
    _ensure_open_for_interest(locked)
    reason = _required_reason(reason, "changing the policy")
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
    if analysis_plan is not None:
        selection_round.analysis_plan = analysis_plan.strip()
    before = selection_round.policy
    _commit(selection_round, current_policy(selection_round))
    selection_round.save(
        update_fields=["priority", "name", "analysis_plan", "policy", "commitment"]
    )
    log_activity(
        selection_round,
        "selection.policy_changed",
        actor=actor,
        reason=reason,
        changes=commitment.policy_changes(before, selection_round.policy),
        commitment=selection_round.commitment,
        policy=selection_round.policy,
        priority=selection_round.priority,
    )
    return selection_round


def participants(selection_round: SelectionRound, confirmed_by=None) -> list[list]:
    """The confirmed participant list: (pseudonym, references best first, priority group)
    for every student with an interest awaiting a decision in the round, confirmed (by
    `confirmed_by` when given)."""
    by_student: dict[int, list] = {}
    for interest in queries.interests_in_round(selection_round):
        verified = interest.verified_at
        if verified is None or (confirmed_by is not None and verified > confirmed_by):
            continue
        by_student.setdefault(interest.student_id, []).append(interest)
    had = queries.students_who_had_an_opportunity(by_student, selection_round)
    return sorted(
        [
            commitment.pseudonym(selection_round.seed, rows[0].student.student_number),
            [i.micro_internship.reference for i in ranked(rows)],
            priority_group(rows[0].student, student_id in had, selection_round.priority),
        ]
        for student_id, rows in by_student.items()
    )


@transaction.atomic
def close_round(selection_round: SelectionRound, *, reason: str = "", actor=None) -> SelectionRound:
    """Seal the round when interest has closed: record the close time and the digest of
    the confirmed participant list, from which (with the seed) the draw is derived.

    Rules: every micro-internship must be closed for interest; when the policy differs from
    the one last committed (a capacity changed since), a reason is needed and the new policy
    becomes the committed one. Logs `selection.closed` with the digest, the fingerprint,
    any changes and the reason (shown on the public page).
    """
    locked = lock_row(SelectionRound, selection_round.pk)
    _ensure_open_for_interest(locked)
    still_open = _still_open(locked)
    if still_open:
        raise SelectionRefused.because(
            f"Interest is still open for {', '.join(still_open)}. Dry runs and publishing "
            "come after interest closes."
        )
    policy = current_policy(locked)
    changes = commitment.policy_changes(locked.policy, policy)
    if changes:
        reason = _required_reason(reason, f"closing with a changed policy ({'; '.join(changes)})")
        _commit(locked, policy)
    now = timezone.now()
    sealed = participants(locked, confirmed_by=now)
    digest = commitment.participants_digest(sealed)
    transition_round(
        selection_round,
        RoundState.CLOSED,
        actor=actor,
        reason=reason.strip(),
        log={"participants_digest": digest, "commitment": locked.commitment, "changes": changes},
        closed_at=now,
        participants_digest=digest,
        participants=sealed,
        policy=locked.policy,
        commitment=locked.commitment,
    )
    return selection_round


@transaction.atomic
def reopen_round(selection_round: SelectionRound, *, reason: str, actor=None) -> SelectionRound:
    """Undo the seal: the round takes interest and policy changes again, and will be sealed
    anew (a new participant digest, so a new draw) when it closes.

    Rules: only a sealed round not being published; a reason is needed (it is public).
    Logs `selection.reopened` with the reason.
    """
    reason = _required_reason(reason, "re-opening the round")
    transition_round(
        selection_round,
        RoundState.DRAFT,
        actor=actor,
        reason=reason,
        log={"participants_digest": selection_round.participants_digest},
        closed_at=None,
        participants_digest="",
        participants=[],
    )
    return selection_round


def _still_open(selection_round: SelectionRound) -> list[str]:
    """References of the round's micro-internships not yet in a state it can be sealed and
    published in (see `_ready_to_publish`)."""
    ready = _ready_to_publish(selection_round)
    return [
        e.micro_internship.reference
        for e in selection_round.entries.select_related("micro_internship")
        if e.micro_internship.state not in ready
    ]


def _check_sealed_inputs(locked: SelectionRound) -> None:
    """Refuse when the policy or the participant list is no longer what the round was sealed
    with (a capacity changed, or interest was re-opened for a micro-internship)."""
    changes = commitment.policy_changes(locked.policy, current_policy(locked))
    if changes:
        raise SelectionRefused.because(
            f"The policy changed after interest closed ({'; '.join(changes)}). Re-open the "
            "round with a reason (shown on the public page) and close it again."
        )
    if not locked.participants_digest:  # sealed before participant digests existed
        return
    joined = commitment.joined_after_close(
        locked.participants, participants(locked, confirmed_by=locked.closed_at)
    )
    if joined:
        raise SelectionRefused.because(
            f"{len(joined)} participant{'s' if len(joined) > 1 else ''} joined or changed "
            "choices after interest closed. Re-open the round with a reason (shown on the "
            "public page) and close it again."
        )


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
        created_by=_staff(actor),
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


# --------------------------------------------------------------- runs and publishing


@transaction.atomic
def dry_run(selection_round: SelectionRound, *, reason: str = "", actor=None) -> SelectionRun:
    """Run the round without changing anyone's place and keep the run (inputs and result).

    Rules: only after interest closed (a round still taking interest is sealed first, by
    `close_round`, when every micro-internship is closed and nothing changed since the
    commitment); not once published (nor while publishing); the policy and participants
    must be the sealed ones. Side effects: the first dry run moves the round to "dry run";
    logs `selection.dry_run` with the run id, the number of offers and the reason (the
    public page lists every dry run).
    """
    locked = lock_row(SelectionRound, selection_round.pk)
    _ensure_not_published(locked)
    if locked.state == RoundState.DRAFT:
        close_round(selection_round, actor=actor)
        locked = lock_row(SelectionRound, selection_round.pk)
    _check_sealed_inputs(locked)
    inputs, result = compute_result(locked)
    run = _keep_run(locked, RunKind.DRY_RUN, inputs, result, actor)
    logged = {"run": run.pk, "offers": result.offers}
    if locked.state == RoundState.CLOSED:
        transition_round(
            selection_round, RoundState.DRY_RUN, actor=actor, reason=reason.strip(), log=logged
        )
    else:
        log_activity(selection_round, "selection.dry_run", actor=actor, reason=reason, **logged)
    return run


def _keep_run(selection_round, kind: RunKind, inputs: dict, result, actor) -> SelectionRun:
    return SelectionRun.objects.create(
        round=selection_round,
        kind=kind,
        inputs=inputs,
        result=result.to_json(),
        created_by=_staff(actor),
    )


def _ready_to_publish(selection_round: SelectionRound) -> set[MicroInternshipState]:
    """The micro-internship states a round can be published in: closed for interest, and
    for a second round (`second_rounds`) also already "selection published"."""
    if queries.earlier_rounds(selection_round).exists():
        return {MicroInternshipState.CLOSED, MicroInternshipState.SELECTION_PUBLISHED}
    return {MicroInternshipState.CLOSED}


def _check_publishable(locked: SelectionRound, dry_run_id: int) -> SelectionRun:
    checked = locked.runs.filter(pk=dry_run_id, kind=RunKind.DRY_RUN).first()
    if checked is None:
        raise SelectionRefused.because("Make a dry run and check it before publishing.")
    still_open = _still_open(locked)
    if still_open:
        raise SelectionRefused.because(
            f"Close interest first: {', '.join(still_open)} must be “Closed for interest” "
            "before the selection is published."
        )
    _check_sealed_inputs(locked)
    return checked


@transaction.atomic
def start_publishing(
    selection_round: SelectionRound, *, dry_run_id: int, actor=None, hold_emails: bool = False
) -> None:
    """Staff asked to publish dry run `dry_run_id`: check what can be checked at once and
    move the round to "publishing" (nothing else can change it now); the worker publishes it
    after commit (`publish_round` → `finish_publishing`), because a large round takes longer
    than a web request should. A failure recorded by an earlier attempt is cleared. Logs
    `selection.publishing` (with `hold_emails`).

    Every email publishing queues is tagged with one new outbox action, kept on the round
    (`publish_emails`), so staff can hold back, release or discard them like the emails of
    any action; with `hold_emails` they are stored held, and none goes until staff release
    them (`mail.outbox.release_held`).
    """
    locked = lock_row(SelectionRound, selection_round.pk)
    _ensure_not_published(locked)
    checked = _check_publishable(locked, dry_run_id)
    transition_round(
        selection_round,
        RoundState.PUBLISHING,
        actor=actor,
        log={"dry_run": dry_run_id, "hold_emails": hold_emails},
        publishing_run=checked,
        publish_failed_at=None,
        publish_failure="",
        publish_emails=new_action_key(),
        hold_publish_emails=hold_emails,
    )


def finish_publishing(round_id: int, *, dry_run_id: int, actor_id: int | None = None) -> str:
    """The worker's half of publishing: `publish`, or, when it is refused (something changed
    since the dry run), put the round back to "dry run" with the reason and the time on the
    round for staff, logging `selection.publish_failed`. Returns "published" or the reason.
    The emails go under the round's outbox action, held when staff asked
    (`start_publishing`)."""
    selection_round = SelectionRound.objects.get(pk=round_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    held = holding_emails() if selection_round.hold_publish_emails else nullcontext()
    try:
        with one_action(selection_round.publish_emails), held:
            publish(selection_round, dry_run_id=dry_run_id, actor=actor)
    except TransitionNotAllowed as error:
        reason = str(error)
        try:
            transition_round(
                selection_round,
                RoundState.DRY_RUN,
                actor=actor,
                reason=reason,
                publish_failed_at=timezone.now(),
                publish_failure=reason,
            )
        except TransitionNotAllowed:  # not being published any more: nothing to put back
            log_activity(selection_round, "selection.publish_failed", actor=actor, reason=reason)
        return reason
    return "published"


@retrying_task()
def publish_round(round_id: int, dry_run_id: int, actor_id: int | None = None) -> str:
    """The worker publishes a round staff asked to publish (see `start_publishing`)."""
    return finish_publishing(round_id, dry_run_id=dry_run_id, actor_id=actor_id)


PUBLISH_ATTEMPTS = 3
"""Times `publish` reads and prepares the round again when something it read changed before
its write transaction; then `ChangedSinceRead` (a `Busy`: the worker tries again later)."""


@dataclass
class _PublishPlan:
    """Everything `publish` reads and prepares before its write transaction."""

    round_image: dict
    image: dict
    checked: SelectionRun
    entries: list[RoundMicroInternship]
    run: PreparedInsert
    places: PlacesPlan
    offers: int


def publish(selection_round: SelectionRound, *, dry_run_id: int, actor=None) -> SelectionRun:
    """Publish the dry run staff looked at: every decision goes out, the seed is revealed.

    Rules: the round must not be published yet; every micro-internship must be closed for
    interest; the inputs must be exactly those of dry run `dry_run_id` (otherwise something
    changed since staff checked it, and they must run again). Side effects, all in one
    transaction: the interests move together through `plan_places`/`apply_places` (OFFERED
    with the explanation as its reason and a reply-by time; WAITLISTED with the
    waiting-list position; NOT_SELECTED with the reason), which queues each email; each
    micro-internship moves to "selection published"; the round moves to "published" with
    the time (which reveals its seed); logs `selection.published`. Staff pages go through
    `start_publishing`.

    In two phases, so that SQLite's one write lock is held only while writing: first,
    without a transaction of its own, everything is read, checked and prepared (the draw,
    every move, log row and email body); then one short write transaction locks the round,
    its micro-internships and places, checks that every row the first phase read
    (`_publish_image`, and the rows `apply_places` checks) is unchanged, and writes it all
    in bulk. When something changed in between, nothing is written and it starts again
    (at most PUBLISH_ATTEMPTS times, then `ChangedSinceRead`); a change that alters the
    draw is then refused as above.
    """
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        plan = _plan_publish(selection_round.pk, dry_run_id, actor)
        try:
            with transaction.atomic():
                run = _write_publish(selection_round.pk, plan, actor)
        except ChangedSinceRead:
            if attempt == PUBLISH_ATTEMPTS:
                raise
            continue
        selection_round.refresh_from_db()
        return run
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class PublishingEmails:
    """Who publishing a dry run would email, for the confirmation staff see: one email per
    expression of interest whose state it changes, counted by the outcome it tells."""

    students: int
    emails: int
    by_outcome: list[tuple[str, int]]  # (outcome label, emails), in the order they go


def who_publishing_emails(selection_round: SelectionRound, run: SelectionRun) -> PublishingEmails:
    """The emails publishing `run` would queue now (as `publish` plans them). Reads only."""
    current = {
        (i.student.student_number, i.micro_internship.reference): i.state
        for i in queries.interests_in_round(selection_round)
    }
    counts: dict[PlaceState, int] = {}
    students = set()
    for number, reference, decision in RoundResult.from_json(run.result).decisions():
        if current.get((number, reference), decision.state) != decision.state:
            counts[PlaceState(decision.state)] = counts.get(PlaceState(decision.state), 0) + 1
            students.add(number)
    order = [PlaceState.OFFERED, PlaceState.WAITLISTED, PlaceState.NOT_SELECTED]
    by_outcome = [(state.label, counts[state]) for state in order if counts.get(state)]
    return PublishingEmails(len(students), sum(counts.values()), by_outcome)


def _publish_image(selection_round: SelectionRound) -> dict:
    """What publishing the round reads from beyond the round's own row, for `publish` to
    check it is unchanged under its locks: the round's entries, overrides, micro-internships
    and their challenges, every interest in them (any state) and those students, the
    published rounds before it, the students already placed in those, those who had an
    opportunity elsewhere, and whether enrolment is known. Reads only."""
    entries = current_images(RoundMicroInternship.objects.filter(round=selection_round))
    mi_ids = [row[_column(RoundMicroInternship, "micro_internship_id")] for row in entries.values()]
    in_round = ExpressionOfInterest.objects.filter(micro_internship_id__in=mi_ids)
    interests = current_images(in_round)
    mis = current_images(MicroInternship.objects.filter(pk__in=mi_ids))
    challenge_ids = [row[_column(MicroInternship, "challenge_id")] for row in mis.values()]
    return {
        "entries": entries,
        "overrides": current_images(Override.objects.filter(round=selection_round)),
        "micro_internships": mis,
        "challenges": current_images(Challenge.objects.filter(pk__in=challenge_ids)),
        "interests": interests,
        "students": current_images(Student.objects.filter(pk__in=in_round.values("student_id"))),
        "earlier_rounds": sorted(queries.earlier_rounds(selection_round).values_list("pk")),
        "placed": queries.students_holding_a_place(selection_round),
        "had": queries.students_who_had_an_opportunity(
            in_round.values("student_id"), selection_round
        ),
        "enrolment_known": queries.enrolment_is_known(),
    }


def _column(model, attname: str) -> int:
    """Where a column is in the rows `current_images` returns."""
    return [field.attname for field in model._meta.concrete_fields].index(attname)


def _plan_publish(round_id: int, dry_run_id: int, actor) -> _PublishPlan:
    """The read phase of `publish`: refuses as `publish` says; writes nothing."""
    round_image = current_images(SelectionRound, [round_id])  # before it is read, so that
    selection_round = SelectionRound.objects.get(pk=round_id)  # a change in between shows
    image = _publish_image(selection_round)  # before anything is read from those rows
    if selection_round.state == RoundState.PUBLISHED:
        raise SelectionRefused.because("This round is published; it can no longer change.")
    checked = _check_publishable(selection_round, dry_run_id)
    entries = list(selection_round.entries.select_related("micro_internship"))
    inputs, result = compute_result(selection_round)
    if inputs != checked.inputs:
        raise SelectionRefused.because(
            "Something changed since this dry run (new or changed interest, places or "
            "overrides). Run it again and check the result before publishing."
        )
    interests = {
        (i.student.student_number, i.micro_internship.reference): i
        for i in queries.interests_in_round(selection_round)
    }
    # Offers first (they need the seats), then the waiting lists, then everyone else.
    order = [PlaceState.OFFERED, PlaceState.WAITLISTED, PlaceState.NOT_SELECTED]
    decisions = sorted(
        (order.index(decision.state), sn, ref, decision) for sn, ref, decision in result.decisions()
    )
    places = plan_places(
        [
            (interests[(sn, ref)], decision.state, decision.reason)
            for _rank, sn, ref, decision in decisions
            if interests[(sn, ref)].state != decision.state
        ],
        actor=actor,
    )
    offers = sum(1 for d in decisions if d[3].state == PlaceState.OFFERED)
    run = SelectionRun(
        round=selection_round,
        kind=RunKind.PUBLISHED,
        inputs=inputs,
        result=result.to_json(),
        created_by=_staff(actor),
    )
    return _PublishPlan(round_image, image, checked, entries, prepare_insert([run]), places, offers)


def _write_publish(round_id: int, plan: _PublishPlan, actor) -> SelectionRun:
    """The write phase of `publish`, inside its transaction: lock, check unchanged, write."""
    round_image = lock_images(SelectionRound, [round_id])
    locked = lock_row(SelectionRound, round_id)
    lock_rows(MicroInternship, [e.micro_internship_id for e in plan.entries])
    if round_image != plan.round_image or _publish_image(locked) != plan.image:
        raise ChangedSinceRead()
    apply_places(plan.places)  # checks the rows it prepared from, under its locks, first
    [run] = plan.run.execute()
    for entry in plan.entries:
        if entry.micro_internship.state != MicroInternshipState.SELECTION_PUBLISHED:
            transition_micro_internship(
                entry.micro_internship, MicroInternshipState.SELECTION_PUBLISHED, actor=actor
            )
    transition_round(
        locked,
        RoundState.PUBLISHED,
        actor=actor,
        log={
            "run": run.pk,
            "dry_run": plan.checked.pk,
            "seed": locked.seed,
            "offers": plan.offers,
        },
        published_at=timezone.now(),
    )
    return run
