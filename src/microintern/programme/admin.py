from django.contrib import admin

from .models import MicroInternship


@admin.register(MicroInternship)
class MicroInternshipAdmin(admin.ModelAdmin):
    list_display = ["reference", "challenge", "starts_at", "capacity", "state"]
    list_filter = ["state"]
    search_fields = ["reference", "challenge__title"]
    readonly_fields = ["state", "state_changed_at"]
