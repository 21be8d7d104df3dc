"""Section 6.1 of the Higher Education Achievement Report (HEAR): "additional information",
verified by the institution. The Business Clinic verifies one entry for each student who took
part in a micro-internship (the activity, the student's role, the dates and a description of
at most 400 characters), and the registry imports the verified entries as a CSV file."""

import csv
import io

from django.db import transaction
from django.utils import timezone

from microintern.core.domain import log_activity
from microintern.core.errors import Refusal
from microintern.core.spreadsheets import spreadsheet_row

from .badges import ROLE
from .enums import PlaceState
from .models import HEAR_DESCRIPTION_LENGTH, ExpressionOfInterest, HearEntry

COLUMNS = [
    "Student number",
    "Student name",
    "Activity",
    "Role",
    "Start date",
    "End date",
    "Description",
    "Verified by",
    "Verified on",
]


class HearEntryRefused(Refusal):
    """An entry that cannot be verified: the sentence says why."""


def suggested_description(interest: ExpressionOfInterest) -> str:
    """A first draft for staff to check: what the day was, in under 400 characters."""
    mi = interest.micro_internship
    text = (
        f"One-day micro-internship with {mi.challenge.organisation.name}: worked in a team "
        f"of students on the host's question “{mi.title}”, researched it on the host's "
        "premises and presented recommendations to the host at the end of the day."
    )
    return (
        text if len(text) <= HEAR_DESCRIPTION_LENGTH else text[: HEAR_DESCRIPTION_LENGTH - 1] + "…"
    )


def activity_name(mi) -> str:
    """The activity as the HEAR names it: the micro-internship and its host."""
    return f"Micro-internship: {mi.title} ({mi.challenge.organisation.name})"


def verify_hear_entry(interest: ExpressionOfInterest, description: str, *, actor) -> HearEntry:
    """Record that `actor` (staff) verified the HEAR entry of a student marked as attended,
    with this description (1–400 characters); verifying again replaces the description and
    the verifier. Logs "hear.verified". Refuses `HearEntryRefused` for a student not marked
    as attended or a description of the wrong length, changing nothing."""
    description = description.strip()
    if interest.state != PlaceState.ATTENDED:
        raise HearEntryRefused(
            "Only students marked as having attended get a HEAR entry; "
            f"{interest.student.full_name} is “{interest.get_state_display()}”."
        )
    if not description or len(description) > HEAR_DESCRIPTION_LENGTH:
        raise HearEntryRefused(
            f"The HEAR allows 1 to {HEAR_DESCRIPTION_LENGTH} characters in a description; "
            f"this one has {len(description)}."
        )
    with transaction.atomic():
        entry, _ = HearEntry.objects.update_or_create(
            interest=interest,
            defaults={
                "description": description,
                "verified_by": actor,
                "verified_at": timezone.now(),
            },
        )
        log_activity(interest, "hear.verified", actor=actor, characters=len(description))
    return entry


def exportable_entries():
    """Verified entries whose student is still marked as attended, oldest day first."""
    return (
        HearEntry.objects.filter(interest__state=PlaceState.ATTENDED)
        .select_related(
            "verified_by",
            "interest__student",
            "interest__micro_internship__challenge__organisation",
        )
        .order_by("interest__micro_internship__starts_at", "interest__student__student_number")
    )


def hear_csv(*, actor) -> bytes:
    """The registry's CSV of every exportable entry (UTF-8 with a byte-order mark, so that
    spreadsheets read it right). Logs "hear.exported" with the number of rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    entries = list(exportable_entries())
    for entry in entries:
        interest = entry.interest
        student, mi = interest.student, interest.micro_internship
        writer.writerow(
            spreadsheet_row(
                [
                    student.student_number,
                    student.full_name,
                    activity_name(mi),
                    ROLE,
                    timezone.localdate(mi.starts_at).isoformat(),
                    timezone.localdate(mi.ends_at).isoformat(),
                    entry.description,
                    entry.verified_by.email,
                    timezone.localdate(entry.verified_at).isoformat(),
                ]
            )
        )
    log_activity(actor, "hear.exported", actor=actor, rows=len(entries))
    return out.getvalue().encode("utf-8-sig")
