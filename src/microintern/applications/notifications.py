"""The email seam of the place lifecycle.

Each place state that a student must hear about has a template role. Queuing happens after
the transaction commits, so a rolled-back change never sends anything. The outbox with
editable templates (issue 4) replaces `tasks.send_place_email`'s body, not this seam.
"""

from django.db import transaction

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


def queue_place_email(interest, from_state: PlaceState | None, to_state: PlaceState) -> None:
    """Queue the email for `to_state` (if any) to be sent by the worker after commit."""
    role = EMAIL_ROLE_FOR_STATE.get(to_state)
    if role is not None:
        queue_interest_email(interest, role)


def queue_interest_email(interest, role: str) -> None:
    """Queue the email template `role` (templates/email/<role>.txt) to the student, after
    commit. The calendar invite is attached to roles in ROLES_WITH_INVITE."""
    from .tasks import send_place_email

    interest_id = interest.pk
    transaction.on_commit(lambda: send_place_email.enqueue(interest_id, role))
