"""`python -m microintern allocate --round ID --dry-run [--json]`: the dry-run result of a
selection round, exactly as the staff page shows it (nothing is saved or sent)."""

import json

from django.core.management.base import BaseCommand, CommandError

from microintern.core.errors import TransitionNotAllowed
from microintern.selection.domain import RoundResult, compute_result
from microintern.selection.models import SelectionRound


class Command(BaseCommand):
    help = "Show who a selection round would offer, waitlist or not select, with reasons."

    def add_arguments(self, parser):
        parser.add_argument("--round", type=int, required=True, dest="round_id")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Required: compute the result without changing anything "
            "(publishing is done on the staff page, after checking).",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, round_id: int, dry_run: bool, json: bool, **options):
        if not dry_run:
            raise CommandError("Only --dry-run is available here; publish on the staff page.")
        selection_round = SelectionRound.objects.filter(pk=round_id).first()
        if selection_round is None:
            raise CommandError(f"There is no selection round {round_id}.")
        try:
            _inputs, result = compute_result(selection_round)
        except TransitionNotAllowed as error:
            raise CommandError(str(error)) from error
        if json:
            self.stdout.write(dump(result))
        else:
            self.stdout.write(as_text(selection_round, result))


def dump(result: RoundResult) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False, sort_keys=True)


def as_text(selection_round, result: RoundResult) -> str:
    lines = [
        f"{selection_round.name} (dry run; nothing is saved or sent)",
        f"Seed fingerprint (SHA-256): {result.seed_commitment}",
        "Priority groups: " + "; ".join(f"{n}. {label}" for n, label in result.groups.items()),
        "",
    ]
    for m in result.micro_internships:
        lines.append(
            f"{m.reference} {m.title}: {m.places_for_draw} places in the draw, "
            f"{len(m.team)} offered, {len(m.waitlist)} on the waiting list; "
            f"last place went to: {m.cutoff or 'not full'}"
        )
    for warning in result.warnings:
        lines.append(f"Warning: {warning}")
    if result.unconfirmed:
        lines.append(f"Not counted (address not confirmed): {result.unconfirmed}")
    lines.append("")
    for row in result.students:
        outcome = row.outcome_label + (f" {row.offered}" if row.offered else "")
        lines.append(
            f"{row.student_number}\t{row.name}\tgroup {row.group or '-'}\t{outcome}\t"
            f"{row.explanation}"
        )
    return "\n".join(lines)
