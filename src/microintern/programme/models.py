"""The one-day, in-person micro-internship."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from .enums import MAX_TEAM_SIZE, MicroInternshipState


class InState:
    """A read-only flag on a model: whether the row's `state` is one of `states`.

    For templates, so that they test states through the enums rather than raw strings:
    `is_cancelled = InState(MicroInternshipState.CANCELLED)`, then `{% if mi.is_cancelled %}`.
    """

    def __init__(self, *states) -> None:
        self.states = frozenset(states)

    def __get__(self, instance, owner=None):
        return self if instance is None else instance.state in self.states


DETAIL_FIELDS = (
    "venue_address",
    "accessibility_notes",
    "travel_notes",
    "what_to_bring",
    "capacity",
    "interest_opens_at",
    "interest_closes_at",
    "facilitator",
)
"""What staff may change on a scheduled micro-internship besides its day and times."""


class MicroInternship(models.Model):
    """One challenge run on one day for a team of at most ten students.

    Its lifecycle is changed only by `programme.domain.transition_micro_internship`.
    """

    challenge = models.ForeignKey(
        "hosts.Challenge", on_delete=models.PROTECT, related_name="micro_internships"
    )
    reference = models.CharField(max_length=20, unique=True, help_text="e.g. MI-2026-007")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue_address = models.TextField()
    accessibility_notes = models.TextField(blank=True)
    travel_notes = models.TextField(blank=True)
    what_to_bring = models.TextField(blank=True)
    capacity = models.PositiveSmallIntegerField(default=MAX_TEAM_SIZE)
    interest_opens_at = models.DateTimeField()
    interest_closes_at = models.DateTimeField()
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilitated_micro_internships",
    )
    state = models.CharField(
        max_length=30, choices=MicroInternshipState.choices, default=MicroInternshipState.DRAFT
    )
    cancel_reason = models.TextField(blank=True)
    state_changed_at = models.DateTimeField(db_default=Now())
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1, capacity__lte=MAX_TEAM_SIZE),
                name="micro_internship_capacity_1_to_10",
                violation_error_message="A team has between 1 and 10 places.",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="micro_internship_ends_after_start",
                violation_error_message="The day must end after it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(interest_closes_at__gt=models.F("interest_opens_at")),
                name="micro_internship_interest_window_order",
                violation_error_message="Interest must close after it opens.",
            ),
            models.CheckConstraint(
                condition=models.Q(interest_closes_at__lt=models.F("starts_at")),
                name="micro_internship_interest_closes_before_day",
                violation_error_message="Interest must close before the day.",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=MicroInternshipState.values),
                name="micro_internship_state_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=MicroInternshipState.CANCELLED)
                | ~models.Q(cancel_reason=""),
                name="micro_internship_cancelled_has_reason",
            ),
        ]

    is_open = InState(MicroInternshipState.OPEN)
    is_closed_for_interest = InState(MicroInternshipState.CLOSED)
    selection_is_published = InState(MicroInternshipState.SELECTION_PUBLISHED)
    is_cancelled = InState(MicroInternshipState.CANCELLED)
    interest_can_open = InState(*MicroInternshipState.interest_can_open())
    is_after_the_day = InState(*MicroInternshipState.after_the_day())

    def __str__(self) -> str:
        return f"{self.reference} {self.challenge.title}"

    @property
    def title(self) -> str:
        return self.challenge.title

    @property
    def selection_commitment(self) -> str:
        """The fingerprint of the newest selection round this micro-internship is in (empty
        when none yet): interest emails carry it, so that students hold a copy. Read with the
        row when it was loaded through `queries.with_selection_commitment`."""
        if "newest_selection_commitment" in self.__dict__:
            return self.newest_selection_commitment or ""
        if self.pk is None:  # an email preview's sample, never saved
            return ""
        entry = self.round_entries.order_by("-round__created_at", "-round_id")
        entry = entry.values_list("round__commitment", flat=True).first()
        return entry or ""
