"""The public audit file of a published round: enough to recompute the whole draw, and
nothing that leads back to a person beyond the row they can find themselves.

One row per participant of the sealed list, under their pseudonym (HMAC-SHA256 of their
student number keyed by the seed, which they can compute once the seed is public), sorted
by pseudonym: their ranked choices and priority group (a number: 1, 2 or 3) at close, which
the participant digest covers, the ranking the draw used (the same, less any choice withdrawn
since or taken out by staff), how they took part (`status`), the outcome and their
waiting-list positions. No names, emails, student numbers, programmes or times. The round
part has the seed, the committed policy and analysis plan, the fingerprint and the digest;
per micro-internship the places that went to the draw and its reserve.

The format is `commitment.AUDIT_FORMAT`; docs/selection.md has a stdlib-only script that
checks the fingerprint and the digest and recomputes every offer and waiting list from it.
"""

from __future__ import annotations

from .. import commitment, queries, wording
from ..errors import SelectionRefused
from ..models import SelectionRound
from .results import RoundResult

# How a participant took part (the `status` of a row).
IN_THE_DRAW = "draw"
GIVEN_BY_STAFF = "given_by_staff"
LEFT = "left_before_the_draw"  # in the sealed list, no longer interested when it was published


def audit_file(selection_round: SelectionRound) -> dict:
    """The audit file of a published round (refused before publishing: the seed is secret
    until then, and without it nobody could check a row)."""
    run = queries.published_run(selection_round)
    if not selection_round.is_published or run is None or not selection_round.participants_digest:
        raise SelectionRefused.because(
            "The audit file is published with the result of a round sealed at close."
        )
    seed = selection_round.seed
    inputs = run.inputs
    result = RoundResult.from_json(run.result)
    outcomes = {s.student_number: s for s in result.students}
    groups = {s["id"]: s["group"] for s in inputs["students"]}
    rankings = {s["id"]: s["choices"] for s in inputs["students"]}
    taken_out = dict(inputs["taken_out_by_staff"])
    given = {sn for numbers in inputs["given_by_staff"].values() for sn in numbers}
    set_aside = {sn: why for sn, _ref, why in inputs["set_aside"] if why != "unconfirmed"}
    by_pseudonym = {commitment.pseudonym(seed, sn): sn for sn in outcomes}
    rows = []
    for name, choices, *sealed_group in selection_round.participants:
        sn = by_pseudonym.get(name)
        group = sealed_group[0] if sealed_group else None
        row = {"pseudonym": name, "choices": choices, "ranking": [], "group": group}
        row["status"] = LEFT
        row |= {"taken_out_by_staff": None, "outcome": None, "offered": None, "waitlists": {}}
        if sn is not None:
            outcome = outcomes[sn]
            row["group"] = groups.get(sn, group)
            row["ranking"] = rankings.get(sn, [])
            row["status"] = GIVEN_BY_STAFF if sn in given else set_aside.get(sn, IN_THE_DRAW)
            row["taken_out_by_staff"] = taken_out.get(sn)
            row["outcome"] = outcome.outcome.value
            row["offered"] = outcome.offered
            row["waitlists"] = dict(sorted(outcome.waitlists.items()))
        rows.append(row)
    return {
        "format": commitment.AUDIT_FORMAT
        if commitment.sealed_groups(selection_round.participants)
        else commitment.LEGACY_AUDIT_FORMAT,
        "round": {
            "id": selection_round.pk,
            "name": selection_round.name,
            "seed": seed,
            "seed_sha256": selection_round.seed_commitment,
            "policy": selection_round.policy,
            "analysis_plan": selection_round.analysis_plan,
            "commitment": selection_round.commitment,
            "participants_digest": selection_round.participants_digest,
        },
        "groups": {str(k): v for k, v in wording.group_labels(selection_round.priority).items()},
        "micro_internships": [
            {
                "reference": m["id"],
                "places_for_draw": m["places_for_draw"],
                "reserve": m["reserve"],
                "cutoff": next(
                    r.cutoff for r in result.micro_internships if r.reference == m["id"]
                ),
            }
            for m in inputs["micro_internships"]
        ],
        "participants": rows,
    }


def audit_row(audit: dict, pseudonym: str) -> dict | None:
    """A participant's own row, with the cut-off of every choice they ranked above what
    they got (or of every choice, when they got none)."""
    pseudonym = pseudonym.strip().lower()
    row = next((r for r in audit["participants"] if r["pseudonym"] == pseudonym), None)
    if row is None:
        return None
    cutoffs = {
        m["reference"]: wording.cutoff_faced(m["cutoff"], m["places_for_draw"])
        for m in audit["micro_internships"]
    }
    above = row["choices"]
    if row["offered"] in above:
        above = above[: above.index(row["offered"])]
    faced = [(ref, cutoffs.get(ref, "")) for ref in above]
    return {**row, "cutoffs": faced}
