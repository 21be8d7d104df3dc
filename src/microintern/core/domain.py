"""Cross-cutting domain services: the activity log."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import ActivityLog


def log_activity(subject: models.Model, action: str, *, actor=None, **data) -> ActivityLog:
    """Record that `actor` (None: the system) did `action` to `subject`, with `data`.

    Writes one ActivityLog row in the caller's transaction, so a rolled-back change leaves
    no trace of having been done.
    """
    return ActivityLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        data=data,
    )


def activity_for(*subjects: models.Model):
    """Activity rows about any of `subjects`, newest first, with actors loaded."""
    query = models.Q(pk__in=[])
    for subject in subjects:
        query |= models.Q(
            content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
        )
    return ActivityLog.objects.filter(query).select_related("actor", "content_type")
