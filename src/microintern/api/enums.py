"""What an integration may read (scopes), what it may hear of (webhook events), and the
lifecycle of one webhook delivery."""

from django.db import models


class Scope(models.TextChoices):
    """One thing an API token may do. Administrators give each integration only the scopes
    it needs; an endpoint names the scope it lacks in its 403."""

    MICRO_INTERNSHIPS_READ = "micro_internships:read", "Read micro-internships"
    PLACES_READ = "places:read", "Read places (students by pseudonymous id)"
    ATTENDANCE_READ = "attendance:read", "Read attendance registers"
    STUDENT_NUMBERS = "students:student_number", "See university student numbers"


class WebhookEvent(models.TextChoices):
    """A state change that a webhook subscription can hear of."""

    MICRO_INTERNSHIP_SCHEDULED = "micro_internship.scheduled", "Micro-internship scheduled"
    MICRO_INTERNSHIP_OPENED = "micro_internship.open", "Micro-internship opened for interest"
    MICRO_INTERNSHIP_CLOSED = "micro_internship.closed", "Micro-internship closed for interest"
    MICRO_INTERNSHIP_SELECTION_PUBLISHED = (
        "micro_internship.selection_published",
        "Micro-internship selection published",
    )
    MICRO_INTERNSHIP_COMPLETED = "micro_internship.completed", "Micro-internship completed"
    MICRO_INTERNSHIP_EVALUATED = "micro_internship.evaluated", "Micro-internship evaluated"
    MICRO_INTERNSHIP_CANCELLED = "micro_internship.cancelled", "Micro-internship cancelled"
    PLACE_OFFERED = "place.offered", "Place offered"
    PLACE_ACCEPTED = "place.accepted", "Place accepted"
    PLACE_DECLINED = "place.declined", "Place declined"
    PLACE_EXPIRED = "place.expired", "Offer expired"
    PLACE_WITHDRAWN = "place.withdrawn", "Place withdrawn"
    PLACE_WAITLISTED = "place.waitlisted", "Put on the waiting list"
    PLACE_NOT_SELECTED = "place.not_selected", "Not selected"
    ATTENDANCE_RECORDED = "attendance.recorded", "Attendance recorded (attended or did not)"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Given up"


DELIVERY_TRANSITIONS: dict[str, set[str]] = {
    DeliveryState.PENDING: {DeliveryState.PENDING, DeliveryState.DELIVERED, DeliveryState.FAILED},
    DeliveryState.DELIVERED: set(),
    DeliveryState.FAILED: set(),
}
"""Pending → pending again is a failed attempt that will be retried after its back-off."""
