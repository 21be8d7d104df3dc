"""Staff: see the survey instruments and edit one, which makes a new version."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from microintern.core.permissions import permission_required

from ..domain import new_version
from ..forms import ItemFormSet, VersionNoteForm
from ..models import Instrument

BACK_OFFICE = "microintern.use_back_office"
ITEM_FIELDS = ("code", "text", "response_type", "scale", "minimum", "maximum")


@permission_required(BACK_OFFICE)
def instrument_list(request):
    instruments = Instrument.objects.prefetch_related("versions").order_by("kind", "slug")
    return render(request, "surveys/instruments.html", {"instruments": instruments})


@permission_required(BACK_OFFICE)
def edit_instrument(request, slug: str):
    instrument = get_object_or_404(Instrument, slug=slug)
    current = instrument.current_version
    items = list(current.items.all())
    initial = [{**{f: getattr(i, f) for f in ITEM_FIELDS}, "keep": True} for i in items]
    formset = ItemFormSet(request.POST or None, initial=initial)
    note = VersionNoteForm(request.POST or None)
    if request.method == "POST" and formset.is_valid() and note.is_valid():
        anchors = {i.code: i.anchors for i in items}
        carried = {i.code: {"stem": i.stem, "source": i.source} for i in items}
        kept = [
            {
                **{f: form.cleaned_data[f] for f in ITEM_FIELDS},
                "scale": form.cleaned_data["scale"] or "",
                "anchors": anchors.get(form.cleaned_data["code"], []),
                **carried.get(form.cleaned_data["code"], {}),
                "timing": _timing(items, form.cleaned_data["code"]),
            }
            for form in formset
            if form.cleaned_data.get("text") and (form.cleaned_data["keep"] or not form.initial)
        ]
        codes = [item["code"] for item in kept]
        if len(codes) != len(set(codes)):
            messages.error(request, "Two questions have the same code; codes must differ.")
        else:
            version = new_version(
                instrument, kept, note=note.cleaned_data["note"], actor=request.user
            )
            messages.success(
                request,
                f"Saved as version {version.number}. Answers already given keep version "
                f"{current.number}.",
            )
            return redirect("surveys:instruments")
    return render(
        request,
        "surveys/edit_instrument.html",
        {"instrument": instrument, "current": current, "formset": formset, "note": note},
    )


def _timing(items, code: str) -> str:
    return next((i.timing for i in items if i.code == code), "now")
