from django.contrib import admin

from .models import ExpressionOfInterest


@admin.register(ExpressionOfInterest)
class ExpressionOfInterestAdmin(admin.ModelAdmin):
    list_display = ["student", "micro_internship", "state", "source", "received_at"]
    list_filter = ["state", "source"]
    readonly_fields = ["state", "state_changed_at", "offer_expires_at"]
