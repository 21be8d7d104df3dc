"""Staff pages for selection rounds: set up, policy, dry run, overrides, publish."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from microintern.core.domain import activity_for
from microintern.core.errors import TransitionNotAllowed
from microintern.core.permissions import permission_required
from microintern.mail.outbox import action_emails

from .. import domain, queries, wording
from ..domain.results import RoundResult
from ..forms import (
    EntryForm,
    OverrideForm,
    PolicyFields,
    PolicyForm,
    PublicReasonForm,
    RoundForm,
)
from ..models import Override, SelectionRound

RUN_ROUNDS = "selection.run_rounds"


@permission_required(RUN_ROUNDS)
def round_list(request):
    rounds = SelectionRound.objects.prefetch_related("micro_internships")
    return render(request, "selection/staff/list.html", {"rounds": rounds})


@permission_required(RUN_ROUNDS)
def round_new(request):
    form = RoundForm(
        request.POST or None,
        initial=PolicyFields.initial_for(["first_time", "widening_participation"]),
    )
    if request.method == "POST" and form.is_valid():
        try:
            selection_round = domain.create_round(
                name=form.cleaned_data["name"],
                micro_internships=form.cleaned_data["micro_internships"],
                priority=form.priority,
                analysis_plan=form.cleaned_data["analysis_plan"],
                actor=request.user,
            )
        except TransitionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The round is set up; its fingerprint is public now.")
            return redirect("staff:selection_round", pk=selection_round.pk)
    return render(request, "selection/staff/new.html", {"form": form})


def _entry_forms(selection_round, data=None):
    groups = wording.group_labels(selection_round.priority)
    return [
        (
            entry,
            EntryForm(
                data,
                prefix=f"entry-{entry.pk}",
                groups=groups,
                initial={
                    "reserve_seats": entry.reserve_seats,
                    "reserve_group": entry.reserve_group,
                    "programme_cap": entry.programme_cap,
                },
            ),
        )
        for entry in selection_round.entries.select_related("micro_internship__challenge")
    ]


@permission_required(RUN_ROUNDS)
def round_policy(request, pk: int):
    """Change the priority order, reserves and programme caps, then run again."""
    selection_round = get_object_or_404(SelectionRound, pk=pk)
    data = request.POST if request.method == "POST" else None
    form = PolicyForm(
        data,
        initial={
            "name": selection_round.name,
            "analysis_plan": selection_round.analysis_plan,
            **PolicyFields.initial_for(selection_round.priority),
        },
    )
    entry_forms = _entry_forms(selection_round, data)
    if data is not None and form.is_valid() and all(f.is_valid() for _e, f in entry_forms):
        try:
            domain.update_policy(
                selection_round,
                name=form.cleaned_data["name"],
                priority=form.priority,
                entries=[{"entry": e, **f.cleaned_data} for e, f in entry_forms],
                analysis_plan=form.cleaned_data["analysis_plan"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except TransitionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The policy is saved. Make a dry run to see its effect.")
            return redirect("staff:selection_round", pk=pk)
    return render(
        request,
        "selection/staff/policy.html",
        {"round": selection_round, "form": form, "entry_forms": entry_forms},
    )


@permission_required(RUN_ROUNDS)
def round_detail(request, pk: int):
    selection_round = get_object_or_404(SelectionRound, pk=pk)
    run = queries.run_to_show(selection_round)
    override_form = OverrideForm(selection_round=selection_round)
    return render(
        request,
        "selection/staff/detail.html",
        _detail_context(selection_round, run, override_form),
    )


def _detail_context(selection_round, run, override_form):
    return {
        "round": selection_round,
        "entries": selection_round.entries.select_related("micro_internship__challenge"),
        "groups": wording.group_labels(selection_round.priority),
        "run": run,
        "result": RoundResult.from_json(run.result) if run else None,
        "overrides": selection_round.overrides.select_related(
            "student", "micro_internship", "created_by"
        ),
        "override_form": override_form,
        "reason_form": PublicReasonForm(),
        "activity": activity_for(selection_round)[:50],
        "places_left": domain.places_left(selection_round) if selection_round.is_published else [],
        "publishing_emails": (
            domain.who_publishing_emails(selection_round, run)
            if run and run.is_dry_run and selection_round.can_start_publishing
            else None
        ),
        "action_emails": action_emails(selection_round.publish_emails),
    }


def _public_action(request, pk: int, act, *, required: bool):
    """Run a staff action listed on the public page with its reason; on a refusal show the
    page again with the sentence and what was typed."""
    selection_round = get_object_or_404(SelectionRound, pk=pk)
    form = PublicReasonForm(request.POST, required=required)
    if form.is_valid():
        try:
            done = act(selection_round, form.cleaned_data["reason"])
        except TransitionNotAllowed as error:
            form.add_error("reason", str(error))
        else:
            messages.success(request, done)
            return redirect("staff:selection_round", pk=pk)
    context = _detail_context(
        selection_round,
        queries.run_to_show(selection_round),
        OverrideForm(selection_round=selection_round),
    )
    context["reason_form"] = form
    return render(request, "selection/staff/detail.html", context, status=400)


@require_POST
@permission_required(RUN_ROUNDS)
def round_second(request, pk: int):
    """Set up a second round for the places left after this round's waiting lists."""
    selection_round = get_object_or_404(SelectionRound, pk=pk)
    try:
        second = domain.create_second_round(selection_round, actor=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
        return redirect("staff:selection_round", pk=pk)
    messages.success(
        request,
        "Second round set up; its seed fingerprint is public now. Make a dry run when ready.",
    )
    return redirect("staff:selection_round", pk=second.pk)


@require_POST
@permission_required(RUN_ROUNDS)
def round_dry_run(request, pk: int):
    def act(selection_round, reason):
        run = domain.dry_run(selection_round, reason=reason, actor=request.user)
        offers = RoundResult.from_json(run.result).offers
        return f"Dry run done: {offers} would be offered a place. It is listed publicly."

    return _public_action(request, pk, act, required=True)


@require_POST
@permission_required(RUN_ROUNDS)
def round_close(request, pk: int):
    def act(selection_round, reason):
        domain.close_round(selection_round, reason=reason, actor=request.user)
        return "Interest is closed and the participant list is sealed."

    return _public_action(request, pk, act, required=False)


@require_POST
@permission_required(RUN_ROUNDS)
def round_reopen(request, pk: int):
    def act(selection_round, reason):
        domain.reopen_round(selection_round, reason=reason, actor=request.user)
        return "The round is open again; the re-opening and its reason are public."

    return _public_action(request, pk, act, required=True)


@require_POST
@permission_required(RUN_ROUNDS)
def round_override(request, pk: int):
    selection_round = get_object_or_404(SelectionRound, pk=pk)
    form = OverrideForm(request.POST, selection_round=selection_round)
    if form.is_valid():
        try:
            domain.add_override(
                selection_round,
                student=form.student,
                micro_internship=form.cleaned_data["micro_internship"],
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except TransitionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Override saved and logged. Make a dry run to see it.")
            return redirect("staff:selection_round", pk=pk)
    context = _detail_context(selection_round, queries.latest_dry_run(selection_round), form)
    return render(request, "selection/staff/detail.html", context, status=400)


@require_POST
@permission_required(RUN_ROUNDS)
def round_override_remove(request, pk: int, override_pk: int):
    override = get_object_or_404(Override, pk=override_pk, round_id=pk)
    try:
        domain.remove_override(override, actor=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Override removed (logged).")
    return redirect("staff:selection_round", pk=pk)


@require_POST
@permission_required(RUN_ROUNDS)
def round_publish(request, pk: int):
    selection_round = get_object_or_404(SelectionRound, pk=pk)
    try:
        run_id = int(request.POST.get("run", ""))
        hold = request.POST.get("hold_emails") == "yes"
        domain.start_publishing(
            selection_round, dry_run_id=run_id, actor=request.user, hold_emails=hold
        )
    except ValueError:
        messages.error(request, "Make a dry run and check it before publishing.")
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        going = (
            "the places are being decided and their emails held for a check on this page; "
            "none goes until released"
            if hold
            else "offers and every other outcome are going out by email"
        )
        messages.success(
            request,
            f"Publishing: {going}. The seed becomes public, and this page shows the published "
            "result when it is done.",
        )
    return redirect("staff:selection_round", pk=pk)
