"""The placeholders each email role may use.

Every role is an `EmailRole` (mail.enums); its template lives in templates/email/<role>.txt
and <role>.subject.txt (the default) and may be replaced by a staff-edited EmailTemplate.
Staff may use only the placeholders listed here for the role, plus the common ones: an email
is a channel out of the system, so a template cannot reach data (equality data, other
people's addresses) that the role was not meant to carry. A default template uses only its
role's placeholders too (a test checks it), so staff can always save it back.
"""

from dataclasses import dataclass

from .enums import EmailRole

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
    "mi.selection_commitment": "The fingerprint of the selection round it is in (empty if none)",
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
MY_PAGE = {"interest.my_page_url": "A link to the student's own page of places"}
CONFIRM_INTEREST = {
    "interest.confirm_url": "A link that confirms the interest is the student's",
    "interest.verified_at": "When the student confirmed it (empty until then)",
}
INBOUND_ACK = {
    "subject": "The subject of the email that arrived",
    "check_url": "A link where the sender can say what was got wrong",
}
INBOUND_REASON = "Why a person has to read it, in a few words"
INBOUND_MI = {
    "mi.title": MICRO_INTERNSHIP["mi.title"],
    "mi.reference": MICRO_INTERNSHIP["mi.reference"],
    "mi.starts_at": MICRO_INTERNSHIP["mi.starts_at"],
}
INBOUND_CONFIRM = {
    "confirm_url": "A link that confirms the sender's address (empty if not needed)",
    "counted": "True when the interest counts already (no click needed)",
    "link_sent_elsewhere": "True when the confirm link went to the university address",
}
DAY_REMINDER = {
    "student.display_name": STUDENT["student.display_name"],
    "mi.title": MICRO_INTERNSHIP["mi.title"],
    "mi.starts_at": MICRO_INTERNSHIP["mi.starts_at"],
    "mi.ends_at": MICRO_INTERNSHIP["mi.ends_at"],
    "mi.venue_address": MICRO_INTERNSHIP["mi.venue_address"],
    "mi.travel_notes": MICRO_INTERNSHIP["mi.travel_notes"],
    "mi.what_to_bring": MICRO_INTERNSHIP["mi.what_to_bring"],
    "mi.challenge.organisation.name": MICRO_INTERNSHIP["mi.challenge.organisation.name"],
    "interest.calendar_url": "A link to the day's calendar entry",
    "interest.map_url": "A link to a map of the venue",
} | MY_PAGE
SURVEY = {
    "name": "The name of the person asked",
    "survey_title": "The survey's title",
    "survey_url": "The person's own link to the survey",
    "mi": "The micro-internship the survey is about (empty for a general survey)",
    "mi.title": MICRO_INTERNSHIP["mi.title"],
}

ROLE_PLACEHOLDERS: dict[EmailRole, dict[str, str]] = {
    EmailRole.INTEREST_ACKNOWLEDGED: PLACE | CONFIRM_INTEREST | MY_PAGE,
    EmailRole.PLACE_OFFERED: PLACE | {"interest.offer_url": "A link to accept or decline"},
    EmailRole.PLACE_CONFIRMED: PLACE
    | MY_PAGE
    | {"interest.map_url": "A link to a map of the venue"},
    EmailRole.PLACE_WAITLISTED: PLACE,
    EmailRole.PLACE_NOT_SELECTED: PLACE,
    EmailRole.OFFER_EXPIRED: PLACE,
    EmailRole.PLACE_WITHDRAWN: PLACE,
    EmailRole.THANK_YOU: PLACE
    | {
        "interest.certificate_url": "A link to the student's certificate of attendance",
        "interest.feedback_url": "A link to the feedback form about the day",
    },
    EmailRole.MISSED_YOU: PLACE,
    EmailRole.MICRO_INTERNSHIP_CANCELLED_STUDENT: PLACE,
    EmailRole.CHALLENGE_RECEIVED: HOST,
    EmailRole.CHALLENGE_ACCEPTED: HOST,
    EmailRole.CHALLENGE_DECLINED: HOST,
    EmailRole.MICRO_INTERNSHIP_SCHEDULED_HOST: HOST | MICRO_INTERNSHIP,
    EmailRole.MICRO_INTERNSHIP_CANCELLED_HOST: HOST | MICRO_INTERNSHIP,
    EmailRole.HOST_FEEDBACK_INVITATION: HOST | MICRO_INTERNSHIP,
    EmailRole.HOST_PROPOSAL_CONFIRM: {
        "contact.name": HOST["contact.name"],
        "organisation.name": HOST["organisation.name"],
        "challenge.title": "The title of the challenge offered",
        "link": "The signed link that confirms the challenge (works for 14 days)",
    },
    EmailRole.INBOUND_ACKNOWLEDGEMENT: INBOUND_ACK | {"reason": INBOUND_REASON},
    EmailRole.INBOUND_ACK_COUNTED: INBOUND_ACK | INBOUND_MI,
    EmailRole.INBOUND_ACK_CONFIRM: INBOUND_ACK | INBOUND_MI | INBOUND_CONFIRM,
    EmailRole.INBOUND_ACK_ADDED: INBOUND_ACK | INBOUND_MI | INBOUND_CONFIRM,
    EmailRole.INBOUND_ACK_OVER_LIMIT: INBOUND_ACK
    | INBOUND_MI
    | INBOUND_CONFIRM
    | {
        "length": "How long the statement is against the limit, e.g. "
        "it has 190 words, and the limit is 150",
    },
    EmailRole.INBOUND_ACK_NOT_OPEN: INBOUND_ACK
    | {
        "reference": "The reference code the message gave",
        "mi.title": "The title (empty unless the micro-internship is public)",
        "why": "draft, not_yet, closed, selection_published, completed, evaluated or cancelled",
        "opens_at": "When interest opens (when it is not open yet)",
        "open_now": "The micro-internships open for interest now, one a line (empty if none)",
    },
    EmailRole.INBOUND_ACK_UNKNOWN_CODE: INBOUND_ACK
    | {
        "reference": "The reference code the message gave",
        "open_now": "The micro-internships open for interest now, one a line (empty if none)",
    },
    EmailRole.INBOUND_ACK_NEUTRAL: {"subject": "The subject of the email that arrived"},
    EmailRole.INBOUND_REFUSED: {
        "subject": "The subject of the email that arrived",
        "too_large": "True when it was too large (otherwise too complex) to open",
        "size": "The size of the email that arrived, e.g. 29.3 MB",
        "limit": "The largest email we open, e.g. 10.0 MB",
    },
    EmailRole.INBOUND_STAFF_REPLY: {
        "subject": "The subject of the reply",
        "reply": "What the member of staff wrote",
    },
    EmailRole.TEAM_MESSAGE: STUDENT
    | MICRO_INTERNSHIP
    | {"subject": "The subject staff gave", "message": "What the member of staff wrote"},
    EmailRole.HOST_MESSAGE: {
        "contact.name": HOST["contact.name"],
        "organisation.name": HOST["organisation.name"],
        "subject": "The subject staff gave",
        "message": "What the member of staff wrote",
    }
    | MICRO_INTERNSHIP,
    EmailRole.INTEREST_ALREADY_RECEIVED: {
        "student.display_name": STUDENT["student.display_name"],
        "mi.title": MICRO_INTERNSHIP["mi.title"],
        "mi.reference": MICRO_INTERNSHIP["mi.reference"],
        "mi.selection_commitment": MICRO_INTERNSHIP["mi.selection_commitment"],
    }
    | CONFIRM_INTEREST
    | MY_PAGE,
    EmailRole.INTEREST_NOT_MATCHED: {
        "full_name": "The name typed on the form",
        "student_number": "The student number typed on the form",
        "statement": "What they wrote, given back so nothing is lost",
        "mi.title": MICRO_INTERNSHIP["mi.title"],
        "mi.reference": MICRO_INTERNSHIP["mi.reference"],
        "form_url": "A link to the interest form, to try again",
    },
    EmailRole.PERSONAL_ADDRESS_CONFIRM: {
        "student.display_name": STUDENT["student.display_name"],
        "address": "The personal address to confirm",
        "confirm_url": "The link that confirms it",
    },
    EmailRole.REMINDER_ONE_DAY: DAY_REMINDER,
    EmailRole.REMINDER_TWO_DAYS: DAY_REMINDER,
    EmailRole.SURVEY_INVITATION: SURVEY,
    EmailRole.SURVEY_REMINDER: SURVEY,
    EmailRole.STUDENT_RECORD_FEED: {
        "outcome": "applied, failed (the file is broken) or unreachable (the download failed)",
        "file_name": "The file's name",
        "source": "Where it came from: File drop or Download",
        "academic_year": "The academic year imported, e.g. 2026/27",
        "rows_read": "How many rows the file has",
        "rows_imported": "How many rows were imported",
        "rows_refused": "How many rows were left out, each for a reason",
        "created": "How many students are new",
        "updated": "How many students were updated",
        "mapping_version": "The version of the code mapping the file was read with",
        "reasons": "The first reasons rows were left out, one a line (line, column, why)",
        "more_reasons": "How many more reasons the report lists (0 if none)",
        "reason": "Why nothing was imported (a broken file or a failed download)",
        "failures": "How many downloads in a row have failed",
        "report_url": "A link to the full report",
    },
}


@dataclass(frozen=True)
class TemplateRole:
    """An email role as the template editor sees it."""

    role: EmailRole
    placeholders: dict[str, str]

    @property
    def name(self) -> str:
        return self.role.value

    @property
    def label(self) -> str:
        return self.role.label

    @property
    def audience(self) -> str:
        return self.role.audience.label

    def allowed(self) -> dict[str, str]:
        return COMMON | self.placeholders


def all_roles() -> list[TemplateRole]:
    """Every email role, in the order EmailRole declares them."""
    return [TemplateRole(role, ROLE_PLACEHOLDERS[role]) for role in EmailRole]


def get_role(name: EmailRole | str) -> TemplateRole | None:
    """The role called `name`, or None when there is no such role."""
    if not EmailRole.known(name):
        return None
    role = EmailRole(name)
    return TemplateRole(role, ROLE_PLACEHOLDERS[role])
