"""Email template roles and the placeholders each may use.

A role's template lives in templates/email/<role>.subject.txt and <role>.txt (the default)
and may be replaced by a staff-edited EmailTemplate. Staff may use only the placeholders
listed for the role: an email is a channel out of the system, so a template cannot reach
data (equality data, other people's addresses) that the role was not meant to carry.
Roles whose template file exists but which are not declared here may use the placeholders
their default file uses, plus the common ones.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

COMMON = {
    "site_name": "The service's name",
    "site_url": "The web address of the service",
}
STUDENT = {
    "student.display_name": "The student's preferred first name",
    "student.full_name": "The student's full name",
    "student.programme": "The student's programme of study",
}
MICRO_INTERNSHIP = {
    "mi.title": "The challenge's title",
    "mi.reference": "The public reference, e.g. MI-2026-007",
    "mi.starts_at": "When the day starts (use |date and |time)",
    "mi.ends_at": "When the day ends",
    "mi.venue_address": "Where the day happens",
    "mi.travel_notes": "How to get there",
    "mi.accessibility_notes": "Accessibility of the premises",
    "mi.what_to_bring": "What to bring",
    "mi.interest_opens_at": "When interest opens",
    "mi.interest_closes_at": "When interest closes",
    "mi.cancel_reason": "Why the day was cancelled",
    "mi.challenge.organisation.name": "The host organisation's name",
    "mi.challenge.question": "The question the team answers",
}
INTEREST = {
    "interest.outcome_reason": "The plain-English reason for the outcome",
    "interest.offer_expires_at": "The reply-by time of an offer",
}
HOST = {
    "contact.name": "The host contact's name",
    "organisation.name": "The host organisation's name",
    "challenge.title": "The challenge's title",
    "challenge.decline_reason": "Why the challenge was declined",
    "link": "A link back to the host's pages (sign in with an emailed code)",
}
PLACE = STUDENT | MICRO_INTERNSHIP | INTEREST


@dataclass(frozen=True)
class EmailRole:
    name: str
    label: str
    audience: str
    placeholders: dict[str, str] = field(default_factory=dict)

    def allowed(self) -> dict[str, str]:
        return COMMON | self.placeholders


DECLARED = [
    EmailRole("interest_acknowledged", "Interest received", "student", PLACE),
    EmailRole("place_offered", "Place offered", "student", PLACE),
    EmailRole("place_confirmed", "Place confirmed (with calendar invite)", "student", PLACE),
    EmailRole("place_waitlisted", "On the waiting list", "student", PLACE),
    EmailRole("place_not_selected", "Not selected", "student", PLACE),
    EmailRole("offer_expired", "Offer expired", "student", PLACE),
    EmailRole("place_withdrawn", "Withdrawn", "student", PLACE),
    EmailRole("thank_you", "Thank you for attending", "student", PLACE),
    EmailRole("missed_you", "Missed you (no-show, kind)", "student", PLACE),
    EmailRole(
        "micro_internship_cancelled_student",
        "Cancelled: to students",
        "student",
        PLACE,
    ),
    EmailRole("challenge_received", "Challenge received: to the host", "host", HOST),
    EmailRole("challenge_accepted", "Challenge accepted: to the host", "host", HOST),
    EmailRole("challenge_declined", "Challenge declined: to the host", "host", HOST),
    EmailRole(
        "micro_internship_scheduled_host",
        "Date agreed: to the host (with calendar invite)",
        "host",
        HOST | MICRO_INTERNSHIP,
    ),
    EmailRole(
        "micro_internship_cancelled_host", "Cancelled: to the host", "host", HOST | MICRO_INTERNSHIP
    ),
    EmailRole(
        "host_feedback_invitation",
        "Feedback invitation: to the host",
        "host",
        HOST | MICRO_INTERNSHIP,
    ),
]
DECLARED_BY_NAME = {role.name: role for role in DECLARED}


def template_dir() -> Path:
    return Path(settings.BASE_DIR) / "templates" / "email"


def all_roles() -> list[EmailRole]:
    """Every role: the declared ones, then any role with a template file but no declaration.

    A role may use its declared placeholders, the common ones, and whatever its default
    file uses (so a sender that adds a context key with its template keeps it editable).
    """
    names = [role.name for role in DECLARED] + sorted(
        {p.name.removesuffix(".txt") for p in template_dir().glob("*.txt")}
        - {f"{n}.subject" for n in _file_roles()}
        - set(DECLARED_BY_NAME)
    )
    return [_with_default_placeholders(name) for name in names]


def _file_roles() -> set[str]:
    return {
        p.name.removesuffix(".txt")
        for p in template_dir().glob("*.txt")
        if ".subject." not in p.name
    }


def _with_default_placeholders(name: str) -> EmailRole:
    from .templating import default_source, placeholders_in

    declared = DECLARED_BY_NAME.get(name) or EmailRole(
        name, name.replace("_", " ").capitalize(), ""
    )
    used = set().union(*(placeholders_in(source) for source in default_source(name)))
    extra = {p: "Used by the default template" for p in sorted(used - set(declared.allowed()))}
    return EmailRole(
        declared.name, declared.label, declared.audience, declared.placeholders | extra
    )


def get_role(name: str) -> EmailRole | None:
    return next((role for role in all_roles() if role.name == name), None)
