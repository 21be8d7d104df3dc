"""Staff: the team of a micro-internship as a spreadsheet, for the facilitator's day sheet."""

import csv
import io

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from microintern.applications.domain import team_of
from microintern.core.domain import log_activity
from microintern.core.permissions import permission_required
from microintern.core.spreadsheets import spreadsheet_row

from ..models import MicroInternship

COLUMNS = [
    "Full name",
    "Known as",
    "Student number",
    "Email",
    "Programme",
    "Place",
    "Adjustments asked for",
]


@permission_required("microintern.use_back_office")
def team_csv(request, pk: int):
    """Who is in the team, with the adjustments they asked for; the download is logged
    (it carries what students wrote about their needs)."""
    mi = get_object_or_404(MicroInternship, pk=pk)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    team = team_of(mi)
    for place in team:
        student = place.student
        writer.writerow(
            spreadsheet_row(
                [
                    student.full_name,
                    student.preferred_name,
                    student.student_number,
                    student.email,
                    student.programme,
                    place.get_state_display(),
                    place.access_needs,
                ]
            )
        )
    log_activity(mi, "micro_internship.team_exported", actor=request.user, rows=len(team))
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{mi.reference}-team.csv"'
    return response
