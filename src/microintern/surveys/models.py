"""Versioned survey instruments, invitations and responses.

Editing an instrument creates a new :class:`InstrumentVersion` (``surveys.domain``); a
response keeps the version it answered, so earlier answers never change meaning.

Anonymous instruments keep who answered apart from what: the :class:`Invitation` records
*that* someone responded (``responded_at``), while their :class:`Response` has no link back
to the invitation or the person.

:class:`DayFeedback` is the short rating and comment a student gives from the link in the
thank-you email, one per attended place.
"""

from django.db import models
from django.db.models import Q

from .enums import InstrumentKind, ResponseType, Timing


class Instrument(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=InstrumentKind.choices)
    anonymous = models.BooleanField(
        default=False, help_text="Responses are not linked to who answered."
    )
    introduction = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.title

    @property
    def current_version(self) -> "InstrumentVersion":
        return self.versions.order_by("-number").first()


class InstrumentVersion(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["instrument", "number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.instrument} v{self.number}"


class Item(models.Model):
    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=40, help_text="Stable across versions, e.g. caas_concern_1")
    scale = models.CharField(
        max_length=40, blank=True, help_text="Items with the same scale form a scale score."
    )
    timing = models.CharField(max_length=10, choices=Timing.choices, default=Timing.NOW)
    stem = models.CharField(
        max_length=300, blank=True, help_text="Question stem shown above the items that share it."
    )
    text = models.TextField()
    source = models.CharField(max_length=300, blank=True, help_text="Where the wording comes from.")
    response_type = models.CharField(max_length=10, choices=ResponseType.choices)
    minimum = models.SmallIntegerField(null=True, blank=True)
    maximum = models.SmallIntegerField(null=True, blank=True)
    anchors = models.JSONField(default=list, blank=True, help_text="Labels from min to max.")
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="one_item_code_per_version"),
            models.UniqueConstraint(fields=["version", "position"], name="one_item_per_position"),
        ]

    def __str__(self) -> str:
        return self.code


class Invitation(models.Model):
    """An invitation to one person to answer one instrument (about one micro-internship)."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey(
        "accounts.Student",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
    )
    host_contact = models.ForeignKey(
        "hosts.HostContact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
    )
    micro_internship = models.ForeignKey(
        "programme.MicroInternship",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(student__isnull=False) ^ Q(host_contact__isnull=False),
                name="invitation_to_one_person",
            ),
            models.UniqueConstraint(
                fields=["version", "student", "micro_internship"],
                name="one_invitation_per_student_survey",
            ),
            models.UniqueConstraint(
                fields=["version", "host_contact", "micro_internship"],
                name="one_invitation_per_host_survey",
            ),
        ]
        indexes = [models.Index(fields=["student", "responded_at"])]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} to {self.version}"


class Response(models.Model):
    """One completed questionnaire. ``invitation`` is empty for anonymous instruments."""

    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="responses"
    )
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="response"
    )
    micro_internship = models.ForeignKey(
        "programme.MicroInternship",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    submitted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Response #{self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="one_answer_per_item")
        ]

    def __str__(self) -> str:
        return f"Answer to {self.item_id}"


class DayFeedback(models.Model):
    """A student's short feedback on their day: a 1–5 rating and a comment.

    One per attended place; a later answer replaces it (`surveys.domain.record_day_feedback`).
    """

    interest = models.OneToOneField(
        "applications.ExpressionOfInterest", on_delete=models.CASCADE, related_name="day_feedback"
    )
    rating = models.PositiveSmallIntegerField(help_text="1 (poor) to 5 (excellent)")
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField()

    class Meta:
        verbose_name = "day feedback"
        verbose_name_plural = "day feedback"
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="survey_day_feedback_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.interest}: {self.rating}/5"
