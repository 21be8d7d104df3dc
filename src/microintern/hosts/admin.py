from django.contrib import admin

from .models import Challenge, HostContact, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "size_band"]
    search_fields = ["name"]


@admin.register(HostContact)
class HostContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "organisation"]
    search_fields = ["name", "email"]


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "state", "proposed_at"]
    list_filter = ["state"]
    readonly_fields = ["state", "state_changed_at"]
