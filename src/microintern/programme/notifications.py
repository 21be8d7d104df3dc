"""Who hears about a micro-internship's changes: scheduled, cancelled, completed."""

from microintern.hosts.notifications import host_link, queue_host_email
from microintern.surveys.domain import invite
from microintern.surveys.enums import InstrumentKind
from microintern.surveys.models import Instrument

from .calendar import invite_for
from .enums import MicroInternshipState


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
    """Cancelled: the host is told, with the reason (their calendar entry is updated by the
    CANCELLED invite; the students are told by applications, through `hooks`). Completed:
    the host is invited to give feedback."""
    if to_state == MicroInternshipState.CANCELLED:
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
    """Invite the host to the host questionnaire (surveys; one email, deduplicated with
    its periodic invitations). Where no host questionnaire is set up, send the generic
    invitation to the host's feedback page instead."""
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
