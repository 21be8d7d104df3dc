"""Inbound email: the mailboxes we read, and every message exactly as received.

State changes only through `inbound.lifecycle`; the IMAP side is in `inbound.imap`.
"""

import os

from django.conf import settings
from django.db import models
from django.db.models import Q

from .enums import AuthMethod, MessageKind, MessageState, ReasonCode, Security, Source


class Mailbox(models.Model):
    """An IMAP mailbox polled for expressions of interest.

    Secrets are never stored here: `secret_env` names the environment variable holding the
    password (password login) or the client secret (OAuth2 client credentials).
    """

    name = models.SlugField(max_length=50, unique=True)
    active = models.BooleanField(default=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=254, help_text="The mailbox's login (its address).")
    auth = models.CharField(max_length=10, choices=AuthMethod.choices, default=AuthMethod.PASSWORD)
    secret_env = models.CharField(
        "secret variable",
        max_length=100,
        help_text="Name of the environment variable holding the password or client secret.",
    )
    tenant_id = models.CharField(max_length=100, blank=True, help_text="OAuth2: Entra tenant.")
    client_id = models.CharField(max_length=100, blank=True, help_text="OAuth2: application id.")
    oauth_scope = models.CharField(
        max_length=200, default="https://outlook.office365.com/.default", blank=True
    )
    folder = models.CharField(max_length=200, default="INBOX")
    processed_folder = models.CharField(max_length=200, default="Processed")
    # Cursor: UIDs are only meaningful within one UIDVALIDITY.
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    # One poller at a time: a lease taken with a single conditional UPDATE (any database).
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"
        constraints = [
            models.CheckConstraint(condition=Q(last_uid__gte=0), name="mailbox_last_uid_positive")
        ]

    def __str__(self) -> str:
        return self.name

    def secret(self) -> str:
        return os.environ.get(self.secret_env, "")


class InboundMessage(models.Model):
    """One message exactly as received, and what became of it.

    `dedupe_key` makes storing idempotent: "<channel>:mid:<Message-ID>", or
    "<channel>:sha:<sha256>" without a Message-ID. The same Message-ID with different bytes is
    kept as a second row flagged `conflicts_with` the first (its key adds the hash).
    """

    dedupe_key = models.CharField(max_length=1200, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    origin = models.CharField(
        max_length=500, blank=True, help_text="File the message was imported from."
    )
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    raw = models.BinaryField(
        help_text="The bytes exactly as received (only the headers when `headers_only`)."
    )
    sha256 = models.CharField(
        max_length=64,
        db_index=True,
        help_text="Of the whole message; of the headers kept when only they were downloaded.",
    )
    size = models.PositiveIntegerField(help_text="Of the whole message, in bytes.")
    headers_only = models.BooleanField(
        default=False, help_text="Over the size limit: only the headers were kept."
    )
    oversize_reason = models.CharField(max_length=500, blank=True)
    message_id = models.CharField(max_length=1000, blank=True, db_index=True)
    received_at = models.DateTimeField(db_index=True)
    conflicts_with = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conflicting_copies",
        help_text="Same Message-ID as that message but different bytes.",
    )
    moved_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was moved to the processed folder."
    )
    # What was read from it (for lists; the raw bytes stay the record).
    from_address = models.CharField(max_length=320, blank=True)
    envelope_sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=12, choices=MessageKind.choices, blank=True)
    kind_reason = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=MessageState.choices, default=MessageState.STORED
    )
    reason = models.TextField(blank=True, help_text="Why it is in its state, for staff.")
    reason_code = models.CharField(
        max_length=30,
        choices=ReasonCode.choices,
        blank=True,
        help_text="The reason as a group (quarantined and set-aside messages), for counts.",
    )
    restore_state = models.CharField(
        max_length=20,
        blank=True,
        help_text="Where restoring a set-aside message takes it back to (empty: triage).",
    )
    restore_reason = models.TextField(blank=True)
    restore_code = models.CharField(max_length=30, blank=True)
    parse_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    student = models.ForeignKey(
        "accounts.Student",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    micro_internship = models.ForeignKey(
        "programme.MicroInternship",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    interest = models.ForeignKey(
        "applications.ExpressionOfInterest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    statement_over_limit = models.BooleanField(default=False)
    vouched_by_own_server = models.BooleanField(
        default=False, help_text="Our own mail server recorded dmarc=pass for the sender."
    )
    acknowledgement_note = models.CharField(max_length=300, blank=True)
    correction = models.TextField(blank=True, help_text="What the sender says we got wrong.")
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=MessageState.values), name="inbound_state_known"
            ),
            models.CheckConstraint(
                condition=Q(kind="") | Q(kind__in=MessageKind.values), name="inbound_kind_known"
            ),
            models.CheckConstraint(
                condition=~Q(
                    state__in=[MessageState.INTEREST_CREATED, MessageState.INTEREST_UPDATED]
                )
                | Q(interest__isnull=False),
                name="inbound_interest_state_has_interest",
            ),
            models.CheckConstraint(
                condition=Q(state=MessageState.STORED) | ~Q(reason=""),
                name="inbound_final_state_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(headers_only=False, oversize_reason="")
                | (Q(headers_only=True) & ~Q(oversize_reason="")),
                name="inbound_headers_only_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(reason_code="") | Q(reason_code__in=ReasonCode.values),
                name="inbound_reason_code_known",
            ),
            models.CheckConstraint(
                condition=Q(restore_state__in=["", MessageState.TRIAGE, MessageState.QUARANTINED]),
                name="inbound_restore_state_reopenable",
            ),
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                condition=Q(uid__isnull=False),
                name="inbound_one_row_per_imap_uid",
            ),
        ]
        indexes = [models.Index(fields=["state", "kind"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject[:60]} ({self.state})"

    @property
    def became_interest(self) -> bool:
        return self.state in MessageState.became_interest()

    @property
    def can_be_set_aside(self) -> bool:
        """Staff may still set it aside (it is not set aside already, nor an interest)."""
        return self.state in MessageState.reopenable() - {MessageState.SET_ASIDE}

    @property
    def can_be_restored(self) -> bool:
        """Staff may take it out of "set aside" again."""
        return self.state == MessageState.SET_ASIDE

    @property
    def raw_bytes(self) -> bytes:
        return bytes(self.raw)


class PersonalAddress(models.Model):
    """A non-university address a student has shown is theirs (clicked a link sent to it)."""

    student = models.ForeignKey(
        "accounts.Student", on_delete=models.CASCADE, related_name="personal_addresses"
    )
    address = models.EmailField(max_length=254, unique=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "personal addresses"

    def __str__(self) -> str:
        return self.address
