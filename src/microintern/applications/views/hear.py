"""Staff: verify the HEAR section 6.1 entries of a micro-internship's team, and download every
verified entry for the registry."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from microintern.core.permissions import permission_required
from microintern.programme.models import MicroInternship

from .. import hear
from ..badges import ROLE
from ..enums import PlaceState
from ..forms import HearEntryForm
from ..models import ExpressionOfInterest, HearEntry

BACK_OFFICE = "microintern.use_back_office"


@permission_required(BACK_OFFICE)
def hear_entries(request, pk: int):
    """The students marked as attended, each with the entry to verify (a suggested
    description until someone verifies one); a POST verifies one of them."""
    mi = get_object_or_404(MicroInternship.objects.select_related("challenge__organisation"), pk=pk)
    attended = list(
        ExpressionOfInterest.objects.filter(micro_internship=mi, state=PlaceState.ATTENDED)
        .select_related("student", "micro_internship__challenge__organisation")
        .order_by("student__full_name")
    )
    entries = {e.interest_id: e for e in HearEntry.objects.filter(interest__in=attended)}
    kept = {}
    if request.method == "POST":
        interest = get_object_or_404(
            ExpressionOfInterest.objects.select_related("student"),
            pk=request.POST.get("interest"),
            micro_internship=mi,
        )
        form = HearEntryForm(request.POST)
        try:
            if not form.is_valid():
                raise hear.HearEntryRefused(form.errors["description"][0])
            hear.verify_hear_entry(interest, form.cleaned_data["description"], actor=request.user)
        except hear.HearEntryRefused as refusal:
            kept[interest.pk] = (form.data.get("description", ""), str(refusal))
            messages.error(request, f"{interest.student.full_name}: {refusal}")
        else:
            messages.success(request, f"{interest.student.full_name}: HEAR entry verified.")
            return redirect("staff:hear_entries", pk=mi.pk)
    rows = []
    for interest in attended:
        entry = entries.get(interest.pk)
        text, problem = kept.get(
            interest.pk,
            (entry.description if entry else hear.suggested_description(interest), ""),
        )
        rows.append({"interest": interest, "entry": entry, "text": text, "problem": problem})
    return render(
        request,
        "applications/staff/hear_entries.html",
        {
            "mi": mi,
            "rows": rows,
            "role": ROLE,
            "activity": hear.activity_name(mi),
            "limit": hear.HEAR_DESCRIPTION_LENGTH,
        },
        status=400 if kept else 200,
    )


@permission_required(BACK_OFFICE)
def hear_export(request):
    """Every verified entry of a student still marked as attended, as CSV (logged)."""
    response = HttpResponse(hear.hear_csv(actor=request.user), content_type="text/csv")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="hear-section-6-1-{day}.csv"'
    return response
