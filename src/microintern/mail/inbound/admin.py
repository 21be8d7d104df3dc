from django.contrib import admin

from .models import InboundMessage, Mailbox, PersonalAddress


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "host", "username", "auth", "last_polled_at", "last_error"]
    readonly_fields = [
        "uidvalidity",
        "last_uid",
        "lease_owner",
        "lease_expires_at",
        "last_polled_at",
        "last_error",
    ]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["pk", "received_at", "from_address", "subject", "kind", "state"]
    list_filter = ["state", "kind", "mailbox"]
    exclude = ["raw"]
    readonly_fields = ["dedupe_key", "sha256", "size", "message_id", "uid", "uidvalidity"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PersonalAddress)
class PersonalAddressAdmin(admin.ModelAdmin):
    list_display = ["address", "student", "confirmed_at"]
    raw_id_fields = ["student"]
