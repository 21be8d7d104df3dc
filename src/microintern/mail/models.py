"""The outbox: every email the system sends, and staff-edited templates per role."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .enums import EmailRole, MessageState
from .sealed import SEALED_ROLE_PREFIX


def role_label(role: str) -> str:
    """What kind of email a role is, in words staff read ("Place offered"; a sign-in email
    by its kind), never the template's file name."""
    if role.startswith(SEALED_ROLE_PREFIX):
        return f"Sign-in email ({role.removeprefix(SEALED_ROLE_PREFIX).replace('_', ' ')})"
    if EmailRole.known(role):
        return EmailRole(role).label
    return role


class OutboundMessage(models.Model):
    """One email, rendered when queued. State changes only through `mail.outbox`."""

    role = models.CharField(max_length=100, help_text="Template role, e.g. place_offered.")
    to = models.EmailField(max_length=254)
    reply_to = models.EmailField(max_length=254, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=10, choices=MessageState.choices, default=MessageState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When retry_due may (re)enqueue a queued message."
    )
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A 'sending' row whose lease expired is retried."
    )
    message_id = models.CharField(
        max_length=255, blank=True, help_text="Stored before the first attempt; reused by retries."
    )
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    person_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person_id = models.CharField(max_length=64, blank=True)
    person = GenericForeignKey("person_type", "person_id")
    about_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    about_id = models.CharField(max_length=64, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    action = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="The staff action that queued it (`outbox.one_action`), so that its emails "
        "can be held back together.",
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=MessageState.values), name="outbound_state_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=MessageState.SENT) | models.Q(sent_at__isnull=False),
                name="outbound_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=MessageState.SENDING)
                | models.Q(lease_expires_at__isnull=False),
                name="outbound_sending_has_lease",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["person_type", "person_id"]),
            models.Index(fields=["about_type", "about_id"]),
            models.Index(fields=["to"]),
        ]

    def __str__(self) -> str:
        return f"{self.role} → {self.to} ({self.state})"

    @property
    def role_label(self) -> str:
        return role_label(self.role)

    @property
    def is_sealed(self) -> bool:
        """A sign-in email: its body is encrypted and shown to nobody (`mail.sealed`)."""
        return self.role.startswith(SEALED_ROLE_PREFIX)

    @property
    def is_held(self) -> bool:
        """Waiting for staff to release it (templates ask this, not the raw state)."""
        return self.state in MessageState.held()

    @property
    def can_be_held_back(self) -> bool:
        """Queued and not yet claimed by a worker."""
        return self.state in MessageState.can_be_held_back()

    @property
    def has_given_up(self) -> bool:
        """Not sent, and not tried again unless staff ask for it."""
        return self.state in MessageState.given_up()

    @property
    def awaits_attempt(self) -> bool:
        """The worker will try it at `next_attempt_at`."""
        return self.state in MessageState.awaiting_attempt()


class OutboundAttachment(models.Model):
    message = models.ForeignKey(
        OutboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    mimetype = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class EmailTemplate(models.Model):
    """A staff-edited version of a role's email; without one the file default is used."""

    role = models.CharField(max_length=100, unique=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["role"]

    def __str__(self) -> str:
        return self.role


class CalendarFeed(models.Model):
    """A staff member's private iCalendar feed: the secret token in the URL is the key.
    Revoking deletes it; a new one gets a new token."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
