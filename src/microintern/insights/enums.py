"""The student-record feed's sources and the outcome of each file it received."""

from django.db import models


class FeedSource(models.TextChoices):
    """Where the feed found a file."""

    DROP = "drop", "File drop"
    URL = "url", "Download"


class FeedOutcome(models.TextChoices):
    """What became of one delivery. Written once, when the delivery is recorded; a delivery
    has no lifecycle (a new file is a new delivery)."""

    APPLIED = "applied", "Imported"
    FAILED = "failed", "Not imported: the file is broken"
    DUPLICATE = "duplicate", "Not imported: this file was imported before"
    UNREACHABLE = "unreachable", "Not downloaded"

    @classmethod
    def told_at_once(cls) -> frozenset["FeedOutcome"]:
        """Outcomes staff hear of by email as soon as they happen."""
        return frozenset({cls.APPLIED, cls.FAILED})
