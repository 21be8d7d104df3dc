"""The outbox's states and every kind of email the system sends."""

from django.db import models


class MessageState(models.TextChoices):
    """Where an outbound email stands.

    draft → queued → sending → sent, or → failed (permanent refusal, or too many temporary
    ones). Staff may hold back a queued email of a mistaken action (queued → held) before
    a worker claims it, then release it (held → queued) or discard it (→ discarded, never
    sent; a held-for-review draft may be discarded too). "sending" holds a lease: a worker
    that dies mid-send leaves the row "sending" until the lease expires, then
    `outbox.retry_due` puts it back to "queued". The moves are in OUTBOX_TRANSITIONS; only
    `outbox.transition_messages` makes them.
    """

    DRAFT = "draft", "Held for review"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    HELD = "held", "Held back by staff"
    DISCARDED = "discarded", "Discarded (not sent)"

    @classmethod
    def waiting(cls) -> list["MessageState"]:
        """Not sent yet, and not given up on."""
        return [cls.DRAFT, cls.QUEUED, cls.HELD, cls.SENDING]

    @classmethod
    def starting(cls) -> frozenset["MessageState"]:
        """The states a new message is stored in: held for review, or queued to be sent."""
        return frozenset({cls.DRAFT, cls.QUEUED})

    @classmethod
    def held(cls) -> frozenset["MessageState"]:
        """Waiting for staff to release it (or discard it): held for review when written,
        or held back by staff after it was queued."""
        return frozenset({cls.DRAFT, cls.HELD})

    @classmethod
    def can_be_held_back(cls) -> frozenset["MessageState"]:
        """Queued and not yet claimed by a worker: staff may still stop it."""
        return frozenset({cls.QUEUED})

    @classmethod
    def on_its_way(cls) -> frozenset["MessageState"]:
        """Sent, or being sent right now: too late to hold back."""
        return frozenset({cls.SENDING, cls.SENT})

    @classmethod
    def awaiting_attempt(cls) -> frozenset["MessageState"]:
        """The worker will try it (again) when its next attempt is due."""
        return frozenset({cls.QUEUED})

    @classmethod
    def given_up(cls) -> frozenset["MessageState"]:
        """Not sent and not tried again unless staff ask for it."""
        return frozenset({cls.FAILED})


OUTBOX_TRANSITIONS: dict[MessageState, set[MessageState]] = {
    MessageState.DRAFT: {
        MessageState.QUEUED,  # staff release a held message
        MessageState.DISCARDED,  # staff decide it must not go
    },
    MessageState.QUEUED: {
        MessageState.SENDING,  # a worker claims it
        MessageState.HELD,  # staff hold back the emails of a mistaken action
    },
    MessageState.HELD: {
        MessageState.QUEUED,  # staff release it after all
        MessageState.DISCARDED,  # staff decide it must not go
    },
    MessageState.DISCARDED: set(),
    MessageState.SENDING: {
        MessageState.SENT,  # the server accepted it
        MessageState.QUEUED,  # a temporary failure, or the worker's lease expired
        MessageState.FAILED,  # a permanent refusal, or too many attempts
    },
    MessageState.FAILED: {MessageState.QUEUED},  # staff try it again
    MessageState.SENT: set(),
}


class Audience(models.TextChoices):
    """Who receives an email."""

    STUDENT = "student", "student"
    HOST = "host", "host contact"
    SURVEYED = "surveyed", "student or host contact (a survey)"
    SENDER = "sender", "whoever wrote to the mailbox"
    STAFF = "staff", "Business Clinic staff"


class EmailRole(models.TextChoices):
    """Every kind of email the system sends: its template is templates/email/<value>.txt
    (body) and <value>.subject.txt, unless staff have edited it. The label says what it is
    for; `audience` who receives it; `mail.roles` which placeholders it may use."""

    INTEREST_ACKNOWLEDGED = "interest_acknowledged", "Interest received"
    PLACE_OFFERED = "place_offered", "Place offered"
    PLACE_CONFIRMED = "place_confirmed", "Place confirmed (with calendar invite)"
    PLACE_WAITLISTED = "place_waitlisted", "On the waiting list"
    PLACE_NOT_SELECTED = "place_not_selected", "Not selected"
    OFFER_EXPIRED = "offer_expired", "Offer expired"
    PLACE_WITHDRAWN = "place_withdrawn", "Withdrawn"
    THANK_YOU = "thank_you", "Thank you for attending"
    MISSED_YOU = "missed_you", "Missed you (no-show, kind)"
    MICRO_INTERNSHIP_CANCELLED_STUDENT = (
        "micro_internship_cancelled_student",
        "Cancelled: to students",
    )
    CHALLENGE_RECEIVED = "challenge_received", "Challenge received: to the host"
    CHALLENGE_ACCEPTED = "challenge_accepted", "Challenge accepted: to the host"
    CHALLENGE_DECLINED = "challenge_declined", "Challenge declined: to the host"
    MICRO_INTERNSHIP_SCHEDULED_HOST = (
        "micro_internship_scheduled_host",
        "Date agreed: to the host (with calendar invite)",
    )
    MICRO_INTERNSHIP_CANCELLED_HOST = "micro_internship_cancelled_host", "Cancelled: to the host"
    HOST_FEEDBACK_INVITATION = "host_feedback_invitation", "Feedback invitation: to the host"
    HOST_PROPOSAL_CONFIRM = (
        "host_proposal_confirm",
        "Confirm a challenge offered with a host contact's address: to the contact",
    )
    INBOUND_ACKNOWLEDGEMENT = (
        "inbound_acknowledgement",
        "Automatic reply to an email: passed to a person",
    )
    INBOUND_ACK_COUNTED = "inbound_ack_counted", "Automatic reply to an email: interest counted"
    INBOUND_ACK_CONFIRM = (
        "inbound_ack_confirm",
        "Automatic reply to an email: interest recorded, needs the confirmation click",
    )
    INBOUND_ACK_ADDED = (
        "inbound_ack_added",
        "Automatic reply to an email: added to an interest already expressed",
    )
    INBOUND_ACK_OVER_LIMIT = (
        "inbound_ack_over_limit",
        "Automatic reply to an email: interest recorded, statement over the word limit",
    )
    INBOUND_ACK_NOT_OPEN = (
        "inbound_ack_not_open",
        "Automatic reply to an email: the micro-internship is not open for interest",
    )
    INBOUND_ACK_UNKNOWN_CODE = (
        "inbound_ack_unknown_code",
        "Automatic reply to an email: the reference code matches nothing",
    )
    INBOUND_ACK_NEUTRAL = (
        "inbound_ack_neutral",
        "Automatic reply to an email: to an address other than the writer's",
    )
    INBOUND_REFUSED = (
        "inbound_refused",
        "Automatic reply: an email to the mailbox was too large or complex to open",
    )
    INBOUND_STAFF_REPLY = "inbound_staff_reply", "Staff reply to an email to the mailbox"
    TEAM_MESSAGE = "team_message", "Staff message to a micro-internship's team"
    HOST_MESSAGE = "host_message", "Staff message to a micro-internship's host"
    INTEREST_ALREADY_RECEIVED = (
        "interest_already_received",
        "Interest already received (expressed again)",
    )
    INTEREST_NOT_MATCHED = (
        "interest_not_matched",
        "Interest not recorded: the student number does not go with the address",
    )
    PERSONAL_ADDRESS_CONFIRM = (
        "personal_address_confirm",
        "Confirm a personal email address as the student's",
    )
    REMINDER_ONE_DAY = "reminder_one_day", "Reminder: the day is tomorrow"
    REMINDER_TWO_DAYS = "reminder_two_days", "Reminder: the day is in two days"
    SURVEY_INVITATION = "survey_invitation", "Survey invitation"
    SURVEY_REMINDER = "survey_reminder", "Survey reminder (not answered yet)"
    STUDENT_RECORD_FEED = (
        "student_record_feed",
        "Student-record feed: what was imported, or why not (to staff)",
    )

    @classmethod
    def known(cls, name: str) -> bool:
        """Whether `name` is a role's value. Cheaper than `name in EmailRole.values`, which
        builds the list of every value on each call (thousands of calls a publish)."""
        return name in cls._value2member_map_

    @property
    def audience(self) -> Audience:
        return EMAIL_AUDIENCE[self]


EMAIL_AUDIENCE: dict[EmailRole, Audience] = {
    EmailRole.INTEREST_ACKNOWLEDGED: Audience.STUDENT,
    EmailRole.PLACE_OFFERED: Audience.STUDENT,
    EmailRole.PLACE_CONFIRMED: Audience.STUDENT,
    EmailRole.PLACE_WAITLISTED: Audience.STUDENT,
    EmailRole.PLACE_NOT_SELECTED: Audience.STUDENT,
    EmailRole.OFFER_EXPIRED: Audience.STUDENT,
    EmailRole.PLACE_WITHDRAWN: Audience.STUDENT,
    EmailRole.THANK_YOU: Audience.STUDENT,
    EmailRole.MISSED_YOU: Audience.STUDENT,
    EmailRole.MICRO_INTERNSHIP_CANCELLED_STUDENT: Audience.STUDENT,
    EmailRole.CHALLENGE_RECEIVED: Audience.HOST,
    EmailRole.CHALLENGE_ACCEPTED: Audience.HOST,
    EmailRole.CHALLENGE_DECLINED: Audience.HOST,
    EmailRole.MICRO_INTERNSHIP_SCHEDULED_HOST: Audience.HOST,
    EmailRole.MICRO_INTERNSHIP_CANCELLED_HOST: Audience.HOST,
    EmailRole.HOST_FEEDBACK_INVITATION: Audience.HOST,
    EmailRole.HOST_PROPOSAL_CONFIRM: Audience.HOST,
    EmailRole.INBOUND_ACKNOWLEDGEMENT: Audience.SENDER,
    EmailRole.INBOUND_ACK_COUNTED: Audience.SENDER,
    EmailRole.INBOUND_ACK_CONFIRM: Audience.SENDER,
    EmailRole.INBOUND_ACK_ADDED: Audience.SENDER,
    EmailRole.INBOUND_ACK_OVER_LIMIT: Audience.SENDER,
    EmailRole.INBOUND_ACK_NOT_OPEN: Audience.SENDER,
    EmailRole.INBOUND_ACK_UNKNOWN_CODE: Audience.SENDER,
    EmailRole.INBOUND_ACK_NEUTRAL: Audience.SENDER,
    EmailRole.INBOUND_REFUSED: Audience.SENDER,
    EmailRole.INBOUND_STAFF_REPLY: Audience.SENDER,
    EmailRole.TEAM_MESSAGE: Audience.STUDENT,
    EmailRole.HOST_MESSAGE: Audience.HOST,
    EmailRole.INTEREST_ALREADY_RECEIVED: Audience.STUDENT,
    EmailRole.INTEREST_NOT_MATCHED: Audience.STUDENT,
    EmailRole.PERSONAL_ADDRESS_CONFIRM: Audience.STUDENT,
    EmailRole.REMINDER_ONE_DAY: Audience.STUDENT,
    EmailRole.REMINDER_TWO_DAYS: Audience.STUDENT,
    EmailRole.SURVEY_INVITATION: Audience.SURVEYED,
    EmailRole.SURVEY_REMINDER: Audience.SURVEYED,
    EmailRole.STUDENT_RECORD_FEED: Audience.STAFF,
}
