"""The public page of a selection round: the policy in plain English, the seed's fingerprint
(from the start) and, once published, the seed itself with how to check a lottery number."""

from django.shortcuts import get_object_or_404, render

from .. import queries, wording
from ..models import SelectionRound


def rounds(request):
    """Every round's policy page and seed fingerprint, newest first."""
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
        },
    )
