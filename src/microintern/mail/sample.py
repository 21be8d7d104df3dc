"""Sample context for previewing email templates: made-up people, never real data."""

from datetime import timedelta

from django.utils import timezone

from microintern.accounts.models import Student
from microintern.applications.models import ExpressionOfInterest
from microintern.hosts.models import Challenge, HostContact, Organisation
from microintern.programme.models import MicroInternship


def sample_context() -> dict:
    """Unsaved model instances standing in for a student, a host and a micro-internship."""
    day = timezone.localtime().replace(hour=9, minute=30, second=0, microsecond=0)
    day += timedelta(days=21)
    organisation = Organisation(name="Riverside Food Bank", address="12 Mill Lane\nMidtown")
    contact = HostContact(organisation=organisation, name="Sam Okafor", email="sam@example.org")
    challenge = Challenge(
        organisation=organisation,
        contact=contact,
        title="Reaching more volunteers",
        question="How can we recruit volunteers under 30?",
        decline_reason="We already have a similar challenge this term.",
    )
    mi = MicroInternship(
        challenge=challenge,
        reference="MI-2026-007",
        starts_at=day,
        ends_at=day + timedelta(hours=7),
        venue_address="12 Mill Lane\nMidtown",
        travel_notes="Bus 7 to Mill Lane; five minutes' walk.",
        accessibility_notes="Step-free entrance; a quiet room is available.",
        what_to_bring="A laptop if you have one.",
        interest_opens_at=day - timedelta(days=20),
        interest_closes_at=day - timedelta(days=7),
        cancel_reason="The host's building is closed for repairs.",
    )
    student = Student(full_name="Amira Khan", preferred_name="Amira", programme="BSc Economics")
    interest = ExpressionOfInterest(
        student=student,
        micro_internship=mi,
        outcome_reason="You had not taken part before, which gave you priority.",
        offer_expires_at=day - timedelta(days=4),
    )
    return {
        "student": student,
        "mi": mi,
        "interest": interest,
        "contact": contact,
        "organisation": organisation,
        "challenge": challenge,
        "link": "https://microintern.example.ac.uk/host/",
    }
