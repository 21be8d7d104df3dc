"""The code mapping in the admin: administrators read every version and save new ones."""

from django import forms
from django.contrib import admin

from microintern.accounts.enums import Role

from . import codings, domain
from .models import CodingMapping, FeedDelivery


class CodingMappingForm(forms.ModelForm):
    """A new version of the code mapping, as JSON tables (the admin shows the newest)."""

    class Meta:
        model = CodingMapping
        fields = ["readings", "refused", "note"]
        help_texts = {
            "readings": 'What each code means: {"level": {"UG": "undergraduate", ...}, '
            '"mode": {...}, "fee_status": {...}, "domicile": {"UK": "XK", ...}}. Values: '
            "level foundation, undergraduate, pgt, pgr; mode full_time, part_time; fee_status "
            "home, international; domicile a two-letter HESA or ISO code.",
            "refused": 'Codes refused with the reason given: {"level": {"PG": "could be '
            'taught or research: write PGT or PGR"}}.',
        }

    def clean(self):
        data = super().clean()
        if "readings" in data:
            problems = codings.check_tables(data["readings"], data.get("refused") or {})
            if problems:
                raise forms.ValidationError(problems)
        return data


def _is_administrator(request) -> bool:
    return request.user.is_authenticated and request.user.role == Role.ADMINISTRATOR


@admin.register(CodingMapping)
class CodingMappingAdmin(admin.ModelAdmin):
    """Saved versions are read-only: "Add" opens the newest version's tables, and saving
    makes them the next version (``domain.save_coding_mapping``)."""

    form = CodingMappingForm
    list_display = ["version", "note", "created_by", "created_at"]
    readonly_fields = ["version", "created_by", "created_at"]

    def has_view_permission(self, request, obj=None):
        return _is_administrator(request)

    def has_add_permission(self, request):
        return _is_administrator(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        newest = domain.current_coding_mapping()
        return {"readings": newest.readings, "refused": newest.refused}

    def save_model(self, request, obj, form, change):
        saved = domain.save_coding_mapping(
            readings=form.cleaned_data["readings"],
            refused=form.cleaned_data.get("refused") or {},
            note=form.cleaned_data.get("note", ""),
            actor=request.user,
        )
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(FeedDelivery)
class FeedDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "name", "source", "outcome", "moved_to"]
    list_filter = ["source", "outcome"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
