"""The public pages of a selection round: the policy in plain English, the fingerprint (from
the start) and every staff action since, and once published the seed, the audit file and a
page where a student finds their own row and the cut-offs they faced."""

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render

from .. import commitment, queries, wording
from ..domain.audit import audit_file as build_audit_file
from ..domain.audit import audit_row
from ..errors import SelectionRefused
from ..models import SelectionRound


def rounds(request):
    """Every round's policy page and fingerprint, newest first."""
    return render(
        request,
        "selection/public/rounds.html",
        {"rounds": SelectionRound.objects.prefetch_related("micro_internships__challenge")},
    )


def round_policy(request, pk: int):
    selection_round = get_object_or_404(SelectionRound, pk=pk)
    published = selection_round.is_published
    return render(
        request,
        "selection/public/round.html",
        {
            "round": selection_round,
            "entries": selection_round.entries.select_related("micro_internship__challenge"),
            "groups": wording.group_labels(selection_round.priority),
            "published": published,
            "seed": selection_round.seed if published else "",
            "follows": queries.earlier_rounds(selection_round).first(),
            "history": queries.public_history(selection_round),
            "committed_text": commitment.canonical_json(
                {
                    "seed_sha256": selection_round.seed_commitment,
                    "policy": selection_round.policy,
                    "analysis_plan": selection_round.analysis_plan,
                }
            ).decode(),
            "draw_key": commitment.draw_key(
                selection_round.seed, selection_round.participants_digest
            )
            if published and selection_round.participants_digest
            else "",
            "has_audit": published and bool(selection_round.participants_digest),
        },
    )


def _audit(pk: int) -> tuple[SelectionRound, dict]:
    selection_round = get_object_or_404(SelectionRound, pk=pk)
    try:
        return selection_round, build_audit_file(selection_round)
    except SelectionRefused as error:
        raise Http404(str(error)) from error


def audit_file(request, pk: int):
    """The audit file (JSON) of a published round."""
    _round, audit = _audit(pk)
    response = JsonResponse(audit, json_dumps_params={"indent": 1, "ensure_ascii": False})
    response["Content-Disposition"] = f'inline; filename="selection-round-{pk}-audit.json"'
    return response


def my_cutoff(request, pk: int):
    """A student enters their number from the audit file (their pseudonym) and sees their
    row and the cut-off of every choice they ranked above what they got."""
    selection_round, audit = _audit(pk)
    number = request.GET.get("number", "").strip()
    row = audit_row(audit, number) if number else None
    return render(
        request,
        "selection/public/my_cutoff.html",
        {"round": selection_round, "number": number, "row": row, "seed": selection_round.seed},
        status=404 if number and row is None else 200,
    )
