"""The email seam of the place lifecycle: every student email about a place goes through
the outbox (`mail.outbox.queue_email`), in the caller's transaction, sent after commit.

Each place state that a student must hear about has a template role; the role's template
is the staff-edited one or templates/email/<role>.txt.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.urls import reverse

from microintern.mail.outbox import (
    Email,
    RenderedEmails,
    queue_email,
    queue_emails,
    render_emails,
    store_emails,
)
from microintern.programme.calendar import invite_for

from . import links
from .enums import PlaceState

EMAIL_ROLE_FOR_STATE: dict[PlaceState, str] = {
    PlaceState.RECEIVED: "interest_acknowledged",
    PlaceState.OFFERED: "place_offered",
    PlaceState.ACCEPTED: "place_confirmed",
    PlaceState.WAITLISTED: "place_waitlisted",
    PlaceState.NOT_SELECTED: "place_not_selected",
    PlaceState.EXPIRED: "offer_expired",
    PlaceState.WITHDRAWN: "place_withdrawn",
    PlaceState.ATTENDED: "thank_you",
    PlaceState.NO_SHOW: "missed_you",
}
ROLES_WITH_INVITE = {"place_confirmed"}
_HOLDING: ContextVar[bool] = ContextVar("holding_place_emails", default=False)


@contextmanager
def holding_emails():
    """Inside this block, place emails are held as drafts for staff to review and release
    from the outbox (e.g. publishing all the offers of a selection round)."""
    token = _HOLDING.set(True)
    try:
        yield
    finally:
        _HOLDING.reset(token)


def queue_place_email(interest, from_state: PlaceState | None, to_state: PlaceState) -> None:
    """Queue the email for `to_state` (if any) to be sent by the worker after commit."""
    role = EMAIL_ROLE_FOR_STATE.get(to_state)
    if role is not None:
        queue_interest_email(interest, role)


def queue_place_emails(moves: list[tuple[object, PlaceState]]) -> None:
    """Queue, in one go, the email for each (interest, new state) that has one, as
    `queue_place_email` would one by one (the interests' student and micro-internship
    already loaded)."""
    store_emails(render_place_emails(moves))


def render_place_emails(moves: list[tuple[object, PlaceState]]) -> RenderedEmails:
    """The emails `queue_place_emails` would queue, rendered but not stored (reads only), for
    `store_emails` to write later in the change's transaction."""
    emails = []
    for interest, to_state in moves:
        role = EMAIL_ROLE_FOR_STATE.get(to_state)
        if role is not None:
            emails.append(_interest_email(interest, role, extra_context=None, hold=False))
    return render_emails(emails)


def queue_team_message(team: list, *, subject: str, message: str) -> None:
    """Queue staff's message to each place's student (`team_message`), in one go."""
    queue_emails(
        [
            _interest_email(
                place,
                "team_message",
                extra_context={"subject": subject, "message": message},
                hold=False,
            )
            for place in team
        ]
    )


def _interest_email(interest, role: str, *, extra_context: dict | None, hold: bool) -> Email:
    mi = interest.micro_internship
    return Email(
        role,
        to=interest.student.email,
        context={
            "interest": interest,
            "student": interest.student,
            "mi": mi,
            **(extra_context or {}),
        },
        person=interest.student,
        about=interest,
        attachments=[invite_for(mi)] if role in ROLES_WITH_INVITE else None,
        hold=hold or _HOLDING.get(),
    )


def queue_interest_email(
    interest, role: str, *, extra_context: dict | None = None, hold: bool = False
):
    """Put the email template `role` to the student about `interest` in the outbox.

    Context: interest, student, mi (plus `extra_context`, e.g. signed links). The calendar
    invite is attached to roles in ROLES_WITH_INVITE. `hold` (or an enclosing
    `holding_emails()` block) keeps it as a draft for staff to review and release. Returns
    the OutboundMessage.
    """
    email = _interest_email(interest, role, extra_context=extra_context, hold=hold)
    return queue_email(
        email.role,
        to=email.to,
        context=email.context,
        person=email.person,
        about=email.about,
        attachments=email.attachments,
        hold=email.hold,
    )


def micro_internship_cancelled(mi) -> None:
    """Tell every student still in the running (`PlaceState.told_of_cancellation`) that the
    micro-internship is cancelled, with the reason."""
    for interest in mi.interests.filter(state__in=PlaceState.told_of_cancellation()).select_related(
        "student"
    ):
        interest.micro_internship = mi
        queue_interest_email(interest, "micro_internship_cancelled_student")


def queue_not_matched_email(mi, *, to: str, full_name: str, student_number: str, statement: str):
    """Tell the address typed on the form that nothing was recorded because the student
    number does not go with it, and give back what they wrote (nothing is lost)."""
    return queue_email(
        "interest_not_matched",
        to=to,
        context={
            "full_name": full_name,
            "student_number": student_number,
            "statement": statement,
            "mi": mi,
            "form_url": links.absolute(
                reverse("applications:express_interest", args=[mi.reference])
            ),
        },
        about=mi,
    )
