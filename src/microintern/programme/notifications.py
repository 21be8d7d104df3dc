"""Who hears about a micro-internship's changes: scheduled, cancelled, completed."""

from microintern.applications.enums import PlaceState
from microintern.hosts.notifications import host_link, queue_host_email

from .calendar import invite_for
from .enums import MicroInternshipState

TOLD_OF_CANCELLATION = [
    PlaceState.RECEIVED,
    PlaceState.WAITLISTED,
    PlaceState.OFFERED,
    PlaceState.ACCEPTED,
]


def micro_internship_scheduled(mi) -> None:
    """Tell the host the date, with a calendar invitation."""
    queue_host_email(
        mi.challenge.contact,
        "micro_internship_scheduled_host",
        mi=mi,
        link=host_link("hosts:micro_internship", mi.pk),
        attachments=[invite_for(mi)],
    )


def micro_internship_moved(mi, to_state: MicroInternshipState) -> None:
    """Cancelled: every student still in the running and the host are told, with the reason
    (the host's calendar entry is updated by the CANCELLED invite). Completed: the host is
    invited to give feedback."""
    from microintern.applications.notifications import queue_interest_email

    if to_state == MicroInternshipState.CANCELLED:
        for interest in mi.interests.filter(state__in=TOLD_OF_CANCELLATION).select_related(
            "student"
        ):
            interest.micro_internship = mi
            queue_interest_email(interest, "micro_internship_cancelled_student")
        queue_host_email(
            mi.challenge.contact,
            "micro_internship_cancelled_host",
            mi=mi,
            link=host_link("hosts:micro_internship", mi.pk),
            attachments=[invite_for(mi)],
        )
    elif to_state == MicroInternshipState.COMPLETED:
        invite_host_feedback(mi)


def invite_host_feedback(mi) -> None:
    """Invite the host to the host questionnaire (issue 7's surveys, one email, deduplicated
    with its periodic invitations). Where no host questionnaire is set up, send the generic
    invitation to the host's feedback page instead."""
    from microintern.surveys.domain import invite
    from microintern.surveys.enums import InstrumentKind
    from microintern.surveys.models import Instrument

    try:
        invite(InstrumentKind.HOST, host_contact=mi.challenge.contact, micro_internship=mi)
    except Instrument.DoesNotExist:
        queue_host_email(
            mi.challenge.contact,
            "host_feedback_invitation",
            mi=mi,
            link=host_link("hosts:feedback", mi.pk),
            dedupe_key=f"host-feedback:{mi.pk}",
        )
