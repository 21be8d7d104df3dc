"""Read-side queries for micro-internships."""

import re
from datetime import MAXYEAR, MINYEAR

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.dateformat import format as date_format

from microintern.applications.enums import PlaceState

from .enums import MicroInternshipState
from .models import MicroInternship


def with_place_counts(queryset):
    """Annotate, in one query: interest, confirmed interest (it counts in selection),
    offered (awaiting a reply), accepted (whether or not the register has marked them since:
    accepted, attended or did not attend), attended and no-show counts."""
    accepted = Q(interests__state__in=PlaceState.on_the_register())
    return queryset.annotate(
        interest_count=Count("interests"),
        confirmed_count=Count("interests", filter=Q(interests__verified_at__isnull=False)),
        offered_count=Count("interests", filter=Q(interests__state=PlaceState.OFFERED)),
        accepted_count=Count("interests", filter=accepted),
        attended_count=Count("interests", filter=Q(interests__state=PlaceState.ATTENDED)),
        no_show_count=Count("interests", filter=Q(interests__state=PlaceState.NO_SHOW)),
    )


def with_selection_commitment(queryset):
    """Load each micro-internship's newest selection round's fingerprint with its row, as
    `MicroInternship.selection_commitment` reads it (for the emails that carry it), in the
    same query."""
    entries = MicroInternship._meta.get_field("round_entries").related_model.objects
    newest = (
        entries.filter(micro_internship=OuterRef("pk"))
        .order_by("-round__created_at", "-round_id")
        .values("round__commitment")[:1]
    )
    return queryset.annotate(newest_selection_commitment=Subquery(newest))


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


_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")


def parse_month(value: str) -> tuple[int, int] | None:
    """(year, month) from "YYYY-MM", or None for anything that is not a calendar month."""
    match = _MONTH.fullmatch(value)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    # A year at the very edge of the calendar overflows once moved between time zones.
    return (year, month) if MINYEAR < year < MAXYEAR and 1 <= month <= 12 else None


def open_for_interest_filtered(*, month: str = "", subject: str = "", now=None):
    """Open micro-internships, optionally only those on days in `month` ("YYYY-MM", local
    time) and with challenges in `subject` area. Unknown filter values match nothing."""
    rows = open_for_interest(now).order_by("starts_at", "reference")
    if month:
        parsed = parse_month(month)
        if parsed is None:
            return rows.none()
        rows = rows.filter(starts_at__year=parsed[0], starts_at__month=parsed[1])
    if "\x00" in subject:
        return rows.none()
    if subject:
        rows = rows.filter(challenge__subject_area=subject)
    return rows


def open_months(now=None) -> list[tuple[str, str]]:
    """(value "YYYY-MM", label "March 2027") for months that have open micro-internships."""
    months = {}
    for starts_at in open_for_interest(now).values_list("starts_at", flat=True):
        local = timezone.localtime(starts_at)
        months[f"{local:%Y-%m}"] = date_format(local, "F Y")  # in the active language
    return sorted(months.items())


def open_subject_areas(now=None) -> list[str]:
    """Subject areas of the challenges that are open now, A to Z."""
    return sorted(
        set(
            open_for_interest(now)
            .exclude(challenge__subject_area="")
            .values_list("challenge__subject_area", flat=True)
        )
    )
