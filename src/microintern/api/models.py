"""API tokens for the university's other systems, and webhook subscriptions with the log
of every delivery attempt. Thin: the rules live in `tokens` and `webhooks`."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from microintern.core.sealing import key_ring
from microintern.programme.models import InState

from .enums import DeliveryState

WEBHOOK_SECRET_SALT = "microintern.api.webhook_secret"  # noqa: S105 - a salt, not a secret


class ApiToken(models.Model):
    """One integration's key to the API. Only the SHA-256 of the secret is kept: the token
    itself is shown once, when it is made (`tokens.create_token`)."""

    name = models.CharField(max_length=100, help_text="The integration, e.g. Careers CRM")
    scopes = models.JSONField(default=list, help_text="Scope values (enums.Scope)")
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell")
    secret_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
                violation_error_message="A token must expire after it is made.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class WebhookSubscription(models.Model):
    """An address that hears of the events it chose, signed with its own secret."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event values (enums.WebhookEvent)")
    secret_sealed = models.TextField(
        help_text="The whsec_… secret (shown once at creation), encrypted with a key derived "
        "from SECRET_KEY: a database dump or backup alone does not reveal it"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"

    @property
    def secret(self) -> str:
        """The signing secret; `cryptography.fernet.InvalidToken` when it was sealed with a
        SECRET_KEY that is neither the current one nor among SECRET_KEY_FALLBACKS."""
        return key_ring(WEBHOOK_SECRET_SALT).decrypt(self.secret_sealed.encode()).decode()

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_sealed = key_ring(WEBHOOK_SECRET_SALT).encrypt(value.encode()).decode()


class WebhookDelivery(models.Model):
    """One event for one subscription. `state` is changed only by
    `webhooks.transition_delivery`; every attempt is a `WebhookAttempt` row."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=50)
    event_id = models.CharField(max_length=40, unique=True)
    body = models.TextField(help_text="The JSON sent, byte for byte on every attempt")
    state = models.CharField(
        max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=DeliveryState.values),
                name="webhook_delivery_state_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=DeliveryState.PENDING)
                | models.Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_has_next_attempt",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    is_pending = InState(DeliveryState.PENDING)

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription.name}"


class WebhookAttempt(models.Model):
    """One try at sending a delivery: what the receiver answered, or why it did not."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="webhook_attempt_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"
