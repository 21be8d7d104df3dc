"""Staff search: students, host organisations and their contacts, micro-internships, by a
few letters of a name, number, email address, reference or title."""

from dataclasses import dataclass

from django.db.models import Q

from microintern.accounts.models import Student
from microintern.hosts.models import HostContact, Organisation

from .models import MicroInternship

LIMIT = 25  # per kind; the page says when there are more
SHORTEST = 2


@dataclass
class Found:
    students: list
    organisations: list
    contacts: list
    micro_internships: list
    more: set  # kinds with more than LIMIT matches


def search(text: str) -> Found | None:
    """What matches `text` (None when it is shorter than SHORTEST characters)."""
    text = " ".join(text.split())
    if len(text) < SHORTEST:
        return None
    kinds = {
        "students": Student.objects.filter(
            Q(full_name__icontains=text)
            | Q(preferred_name__icontains=text)
            | Q(student_number__iexact=text)
            | Q(email__icontains=text)
        ).order_by("full_name"),
        "organisations": Organisation.objects.filter(name__icontains=text).order_by("name"),
        "contacts": HostContact.objects.filter(Q(name__icontains=text) | Q(email__icontains=text))
        .select_related("organisation")
        .order_by("name"),
        "micro_internships": MicroInternship.objects.filter(
            Q(reference__iexact=text) | Q(challenge__title__icontains=text)
        )
        .select_related("challenge__organisation")
        .order_by("-starts_at"),
    }
    found = {kind: list(rows[: LIMIT + 1]) for kind, rows in kinds.items()}
    more = {kind for kind, rows in found.items() if len(rows) > LIMIT}
    return Found(**{kind: rows[:LIMIT] for kind, rows in found.items()}, more=more)
