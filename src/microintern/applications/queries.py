"""Read-side questions about expressions of interest, for selection and reports."""

from .enums import PlaceState
from .models import ExpressionOfInterest


def counting_interests(micro_internship=None):
    """Interests that count: the student has shown the address is theirs (DESIGN principle 5).

    Unconfirmed ones are kept (nothing lost) but take no part in selection.
    """
    rows = ExpressionOfInterest.objects.filter(verified_at__isnull=False)
    if micro_internship is not None:
        rows = rows.filter(micro_internship=micro_internship)
    return rows


def has_taken_part(student) -> bool:
    """Whether the student has already had a micro-internship (for priority in selection).

    Only attending counts. A no-show has not had the opportunity and is never penalised:
    no state of a past place makes a student less likely to get the next one.
    """
    return student.interests.filter(state=PlaceState.ATTENDED).exists()
