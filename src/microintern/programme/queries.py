"""Read-side queries for micro-internships."""

from django.db.models import Count, Q
from django.utils import timezone

from microintern.applications.enums import PlaceState

from .enums import MicroInternshipState
from .models import MicroInternship


def with_place_counts(queryset):
    """Annotate interest, offered, accepted and attended counts in one query."""
    return queryset.annotate(
        interest_count=Count("interests"),
        offered_count=Count("interests", filter=Q(interests__state=PlaceState.OFFERED)),
        accepted_count=Count("interests", filter=Q(interests__state=PlaceState.ACCEPTED)),
        attended_count=Count("interests", filter=Q(interests__state=PlaceState.ATTENDED)),
    )


def open_for_interest(now=None):
    """Micro-internships students can say they are interested in right now."""
    now = now or timezone.now()
    return MicroInternship.objects.filter(
        state=MicroInternshipState.OPEN,
        interest_opens_at__lte=now,
        interest_closes_at__gt=now,
    ).select_related("challenge__organisation")


def publicly_visible():
    return MicroInternship.objects.filter(state__in=MicroInternshipState.public()).select_related(
        "challenge__organisation"
    )


def dashboard_groups():
    """Micro-internships grouped by state (in lifecycle order) with their counts."""
    rows = with_place_counts(
        MicroInternship.objects.select_related("challenge__organisation", "facilitator")
    ).order_by("starts_at")
    groups = {state: [] for state in MicroInternshipState}
    for mi in rows:
        groups[MicroInternshipState(mi.state)].append(mi)
    return [(state, items) for state, items in groups.items()]
