"""Read-side questions for selection rounds. Nothing here reads equality data: a student's
priority comes only from their history of places and their widening-participation flags."""

from microintern.accounts.queries import student_record_imported
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.domain import activity_for

from .enums import RoundState, RunKind
from .models import RoundMicroInternship, SelectionRound, SelectionRun

HAD_AN_OPPORTUNITY = [PlaceState.ACCEPTED, PlaceState.ATTENDED]


def earlier_rounds(selection_round: SelectionRound):
    """The published rounds set up before this one that hold one of its micro-internships:
    for a second round, the round whose places it fills (empty for a first round)."""
    return SelectionRound.objects.filter(
        state=RoundState.PUBLISHED,
        pk__lt=selection_round.pk,
        entries__micro_internship__round_entries__round=selection_round,
    ).distinct()


def states_in_the_draw(selection_round: SelectionRound) -> list[PlaceState]:
    """The place states a round decides: received or waiting; in a second round also "not
    selected" (left without a place by the first round, and still interested)."""
    states = list(PlaceState.awaiting_decision())
    if earlier_rounds(selection_round).exists():
        states.append(PlaceState.NOT_SELECTED)
    return states


def interests_in_round(selection_round: SelectionRound):
    """Every expression of interest in the round's micro-internships that awaits a decision
    (`states_in_the_draw`), verified or not, with student and micro-internship."""
    return (
        ExpressionOfInterest.objects.filter(
            micro_internship__round_entries__round=selection_round,
            state__in=states_in_the_draw(selection_round),
        )
        .select_related("student", "micro_internship__challenge")
        .order_by("received_at", "id")
    )


def enrolment_is_known() -> bool:
    """Whether the university has imported its student record (the population import
    stamps `record_imported_at`). Until then enrolment cannot be checked and nobody is set
    aside for it; afterwards a student missing from the record is not eligible."""
    return student_record_imported()


def students_holding_a_place(selection_round: SelectionRound) -> set[int]:
    """Students already holding a place (offered, accepted, ...) on one of the round's
    micro-internships, or, in a second round, of the round it follows: they are placed and
    take no further part in it."""
    rounds = [selection_round.pk, *earlier_rounds(selection_round).values_list("pk", flat=True)]
    return set(
        ExpressionOfInterest.objects.filter(
            micro_internship__round_entries__round__in=rounds,
            state__in=PlaceState.holding_a_seat(),
        ).values_list("student_id", flat=True)
    )


def students_who_had_an_opportunity(student_ids, selection_round: SelectionRound) -> set[int]:
    """Of `student_ids`, those who attended a micro-internship or accepted a place on one
    outside this round. A no-show has not had the opportunity and is never penalised (the
    rule of `applications.queries.has_taken_part`, plus places already accepted elsewhere)."""
    return set(
        ExpressionOfInterest.objects.filter(
            student_id__in=student_ids, state__in=HAD_AN_OPPORTUNITY
        )
        .exclude(micro_internship__round_entries__round=selection_round)
        .values_list("student_id", flat=True)
    )


def seats_held(micro_internship) -> int:
    return micro_internship.interests.filter(state__in=PlaceState.holding_a_seat()).count()


def latest_dry_run(selection_round: SelectionRound) -> SelectionRun | None:
    return selection_round.runs.filter(kind=RunKind.DRY_RUN).first()


def published_run(selection_round: SelectionRound) -> SelectionRun | None:
    return selection_round.runs.filter(kind=RunKind.PUBLISHED).first()


def run_to_show(selection_round: SelectionRound) -> SelectionRun | None:
    """The run the staff page shows: the published one once the round is published,
    otherwise the latest dry run."""
    if selection_round.is_published:
        return published_run(selection_round)
    return latest_dry_run(selection_round)


def published_run_for(micro_internship) -> SelectionRun | None:
    """The published run of the (latest) published round that includes the micro-internship."""
    return (
        SelectionRun.objects.filter(
            kind=RunKind.PUBLISHED,
            round__state=RoundState.PUBLISHED,
            round__entries__micro_internship=micro_internship,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def published_rounds_with(micro_internship):
    return SelectionRound.objects.filter(
        state=RoundState.PUBLISHED, entries__micro_internship=micro_internship
    )


def rounds_not_published_of(micro_internship_ids) -> dict[int, tuple[int, str]]:
    """{micro-internship id: (round id, round name)} for the rounds not yet published that
    hold them (the latest one, if a micro-internship is in several): a student ranks the
    choices of one round against each other (`applications.ranking`)."""
    rows = (
        RoundMicroInternship.objects.filter(micro_internship_id__in=list(micro_internship_ids))
        .exclude(round__state=RoundState.PUBLISHED)
        .order_by("round__created_at", "round_id")
        .values_list("micro_internship_id", "round_id", "round__name")
    )
    return {mi_id: (round_id, name) for mi_id, round_id, name in rows}


# What the public page lists of a round's history, and the words for each kind of entry.
PUBLIC_HISTORY = {
    "selection.round_created": "Set up and committed",
    "selection.second_round_created": "Second round set up and committed",
    "selection.policy_changed": "Policy changed",
    "selection.closed": "Interest closed; participant list sealed",
    "selection.reopened": "Re-opened",
    "selection.dry_run": "Dry run",
    "selection.override_added": "Staff decision added",
    "selection.override_removed": "Staff decision removed",
    "selection.publish_failed": "Publishing stopped",
    "selection.published": "Published",
}
OVERRIDE_REASON = "told to the student concerned"


def public_history(selection_round: SelectionRound) -> list[dict]:
    """Every staff action on the round that the public page lists, oldest first: time,
    what, reason, the changes, and the fingerprint or digest it produced. A staff decision
    shows only the micro-internship and the kind (its student and reason stay private)."""
    rows = []
    entries = activity_for(selection_round).filter(action__in=PUBLIC_HISTORY)
    for entry in entries.order_by("created_at", "pk"):
        data = entry.data or {}
        overriding = entry.action.startswith("selection.override")
        rows.append(
            {
                "at": entry.created_at,
                "what": PUBLIC_HISTORY[entry.action],
                "reason": OVERRIDE_REASON if overriding else data.get("reason", ""),
                "changes": data.get("changes", []),
                "micro_internship": data.get("micro_internship", "") if overriding else "",
                "commitment": data.get("commitment", ""),
                "participants_digest": data.get("participants_digest", "")
                if entry.action == "selection.closed"
                else "",
            }
        )
    return rows
