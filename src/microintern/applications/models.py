"""Expressions of interest, each carrying its place lifecycle."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from microintern.programme.models import InState

from . import links
from .enums import PlaceState, Source


class ExpressionOfInterest(models.Model):
    """A student's interest in one micro-internship (at most one per pair).

    `state` is changed only by `applications.domain.transition_place`.
    """

    student = models.ForeignKey(
        "accounts.Student", on_delete=models.CASCADE, related_name="interests"
    )
    micro_internship = models.ForeignKey(
        "programme.MicroInternship", on_delete=models.CASCADE, related_name="interests"
    )
    statement = models.TextField(help_text="Why are you interested? (150 words by default)")
    statement_over_limit = models.BooleanField(
        default=False, help_text="Kept whole but longer than the limit (e.g. from an email)."
    )
    access_needs = models.TextField(blank=True)
    can_attend = models.BooleanField(default=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    preference_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    received_at = models.DateTimeField()
    verified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the student showed the address is theirs and kept what was sent.",
    )
    discarded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the student said someone else made it in their name (then withdrawn).",
    )
    state = models.CharField(max_length=20, choices=PlaceState.choices, default=PlaceState.RECEIVED)
    state_changed_at = models.DateTimeField()
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = models.TextField(blank=True, help_text="Plain-English reason shown to them.")
    certificate_code = models.CharField(
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        help_text="Printed on the certificate; anyone with it can check the certificate.",
    )

    class Meta:
        verbose_name = "expression of interest"
        verbose_name_plural = "expressions of interest"
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "micro_internship"],
                condition=models.Q(discarded_at__isnull=True),
                name="one_interest_per_student_per_micro_internship",
                violation_error_message=(
                    "This student has already said they are interested in this micro-internship."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=PlaceState.values), name="interest_state_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=PlaceState.OFFERED)
                | models.Q(offer_expires_at__isnull=False),
                name="interest_offer_has_deadline",
            ),
            models.CheckConstraint(
                condition=models.Q(discarded_at__isnull=True)
                | models.Q(state=PlaceState.WITHDRAWN, verified_at__isnull=True),
                name="interest_discarded_is_withdrawn_and_never_counted",
            ),
        ]
        indexes = [
            models.Index(fields=["micro_internship", "state"]),
            # the impact page's cache key reads the latest change on every request
            models.Index(fields=["state_changed_at"], name="interest_state_changed_at"),
        ]

    is_received = InState(PlaceState.RECEIVED)
    is_waitlisted = InState(PlaceState.WAITLISTED)
    is_offered = InState(PlaceState.OFFERED)
    is_accepted = InState(PlaceState.ACCEPTED)
    is_declined = InState(PlaceState.DECLINED)
    is_expired = InState(PlaceState.EXPIRED)
    is_attended = InState(PlaceState.ATTENDED)
    is_no_show = InState(PlaceState.NO_SHOW)
    student_can_withdraw = InState(*PlaceState.student_can_withdraw())

    def __str__(self) -> str:
        return f"{self.student} → {self.micro_internship.reference}"

    @property
    def awaits_the_student(self) -> bool:
        """Made in the student's name while they were signed out, not yet kept or discarded:
        it does not count until they keep it."""
        return (
            self.verified_at is None
            and self.discarded_at is None
            and self.state in PlaceState.can_be_discarded()
        )

    # Links for email templates ({{ interest.offer_url }} etc.): signed, absolute, made when
    # the email is rendered. The signing lives in `applications.links`.
    @property
    def confirm_url(self) -> str:
        return links.confirm_url(self)

    @property
    def offer_url(self) -> str:
        return links.offer_url(self)

    @property
    def feedback_url(self) -> str:
        return links.feedback_url(self)

    @property
    def certificate_url(self) -> str:
        return links.certificate_url(self)

    @property
    def my_page_url(self) -> str:
        return links.my_page_url()

    @property
    def calendar_url(self) -> str:
        return links.calendar_url(self.micro_internship)

    @property
    def map_url(self) -> str:
        return links.map_url(self.micro_internship.venue_address)


class ReminderKind(models.TextChoices):
    TWO_DAYS = "two_days", "Two days before"
    ONE_DAY = "one_day", "One day before"


class SentReminder(models.Model):
    """A reminder email sent (queued) for one accepted place: at most one of each kind.

    The unique constraint makes `applications.reminders.send_due_reminders` idempotent: running
    it twice, or in two processes at once, never sends a second copy.
    """

    interest = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interest", "kind"], name="one_reminder_of_each_kind"),
            models.CheckConstraint(
                condition=models.Q(kind__in=ReminderKind.values), name="reminder_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.interest} {self.kind}"


HEAR_DESCRIPTION_LENGTH = 400


class HearEntry(models.Model):
    """A student's entry for section 6.1 of their Higher Education Achievement Report
    (additional information: activity, role, dates, description), as a member of staff
    verified it. Written only by `applications.hear.verify_hear_entry`; the registry's export
    carries it only while the student is still marked as having attended."""

    interest = models.OneToOneField(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="hear_entry"
    )
    description = models.TextField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("description"), 1),
                name="hear_description_not_empty",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), HEAR_DESCRIPTION_LENGTH),
                name="hear_description_at_most_400_characters",
            ),
        ]

    def __str__(self) -> str:
        return f"HEAR 6.1 entry for {self.interest}"
