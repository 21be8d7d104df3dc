"""The code mapping in the admin: administrators read every version and save new ones."""

from django.contrib import admin

from microintern.accounts.enums import Role

from . import domain
from .models import CodingMapping, FeedDelivery


def _is_administrator(request) -> bool:
    return request.user.is_authenticated and request.user.role == Role.ADMINISTRATOR


@admin.register(CodingMapping)
class CodingMappingAdmin(admin.ModelAdmin):
    """Saved versions are read-only: "Add" opens the newest version's tables, and saving
    makes them the next version (``domain.save_coding_mapping``)."""

    fields = ["readings", "refused", "note"]
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
