"""The activity log: who did what to which object, when, with what data."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .activity import describe, describe_from_state


class ActivityLog(models.Model):
    """One recorded action. Written only through `core.domain.log_activity`."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the system itself acted (a scheduled job, an email import).",
    )
    action = models.CharField(max_length=100)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def sentence(self) -> str:
        """What was done, as staff read it in the activity feed."""
        return describe(self.action)

    @property
    def from_state_label(self) -> str:
        """The state the subject moved from, as staff read it ("" when it did not move)."""
        from_state = self.data.get("from_state") if isinstance(self.data, dict) else None
        return describe_from_state(self.action, str(from_state)) if from_state else ""


class PeriodicJobRun(models.Model):
    """When a periodic job (settings.MICROINTERN_PERIODIC_JOBS) last ran and how it ended:
    written by `run_periodic`, read by the health checks and the staff system page."""

    path = models.CharField(max_length=200, unique=True)
    last_started_at = models.DateTimeField()
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    run_count = models.PositiveBigIntegerField(
        default=0, help_text="Runs started since the job was first recorded."
    )
    last_run_by = models.CharField(
        max_length=200, blank=True, help_text="The scheduler (host:pid) that started the last run."
    )

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.path


class SchedulerLease(models.Model):
    """Which `run_periodic` process is the scheduler now: the one holding this row, until
    `expires_at`. Written only through `core.periodic`: a holder renews it while it runs, a
    crashed holder's lease simply runs out and another process takes it."""

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at:%H:%M:%S}"
