"""State changes of a challenge (the host's proposal)."""

import secrets

from django.db import transaction
from django.utils import timezone

from microintern.accounts.enums import Role
from microintern.accounts.models import User
from microintern.core.domain import log_activity
from microintern.core.errors import Refusal, TransitionNotAllowed
from microintern.core.locking import lock_row

from .enums import CHALLENGE_TRANSITIONS, ChallengeState
from .models import BriefingMaterial, Challenge, HostContact, Organisation
from .notifications import host_link, queue_host_email


class ProposalRefused(Refusal):
    """A proposal that cannot be taken; the message is for the person proposing."""


@transaction.atomic
def transition_challenge(
    challenge: Challenge, to_state: ChallengeState, *, actor=None, reason: str = ""
) -> Challenge:
    """Move a challenge along proposed → accepted / declined → scheduled → archived.

    Refuses a move the lifecycle does not allow (naming both states) and a decline without
    a reason. Locks the row (`core.locking`: a long wait raises `Busy`), saves the new state
    and logs `challenge.<state>`; on accepting or declining a proposal, emails the host (the
    decline with the reason). Nothing changes on refusal.
    """
    locked = lock_row(Challenge, challenge.pk)
    from_state = ChallengeState(locked.state)
    to_state = ChallengeState(to_state)
    if to_state not in CHALLENGE_TRANSITIONS[from_state]:
        raise TransitionNotAllowed("challenge", from_state.label, to_state.label)
    if to_state == ChallengeState.DECLINED and not reason.strip():
        raise TransitionNotAllowed.because("Please give the host a reason for declining.")
    locked.state = to_state
    locked.state_changed_at = timezone.now()
    if to_state == ChallengeState.DECLINED:
        locked.decline_reason = reason.strip()
    locked.save(update_fields=["state", "state_changed_at", "decline_reason"])
    log_activity(
        locked, f"challenge.{to_state.value}", actor=actor, from_state=from_state, reason=reason
    )
    if to_state in (ChallengeState.ACCEPTED, ChallengeState.DECLINED) and (
        from_state == ChallengeState.PROPOSED
    ):
        queue_host_email(
            locked.contact,
            f"challenge_{to_state.value}",
            challenge=locked,
            link=host_link("hosts:challenge", locked.pk),
        )
    challenge.refresh_from_db()
    return locked


@transaction.atomic
def propose_challenge(data: dict) -> Challenge:
    """A host offers a challenge, with no account needed first.

    Rules: one HostContact per email address; a returning contact's proposal joins their
    organisation; an address that belongs to a student or staff account is refused (they
    would otherwise get host pages). Side effects: creates the organisation, the contact and
    their sign-in User (role host, no password: they sign in with emailed codes), the
    challenge ("proposed"); logs `challenge.proposed`; emails the host an acknowledgement
    with the link back.
    """
    email = data["email"].strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and user.role != Role.HOST:
        raise ProposalRefused(
            "This email address already has a different kind of account with us. "
            "Please use your work email address, or contact the Business Clinic."
        )
    contact = HostContact.objects.filter(email__iexact=email).select_related("organisation").first()
    if contact is None:
        organisation = Organisation.objects.create(
            name=data["organisation_name"],
            kind=data["kind"],
            sector=data["sector"],
            size_band=data["size_band"],
            address=data["premises_address"],
            website=data.get("website", ""),
        )
        if user is None:
            user = User.objects.create_user(email, full_name=data["contact_name"], role=Role.HOST)
        contact = HostContact.objects.create(
            organisation=organisation,
            user=user,
            name=data["contact_name"],
            email=email,
            phone=data.get("phone", ""),
            job_title=data.get("job_title", ""),
        )
    elif contact.user is None:
        contact.user = user or User.objects.create_user(
            email, full_name=contact.name, role=Role.HOST
        )
        contact.save(update_fields=["user"])
    challenge = Challenge.objects.create(
        organisation=contact.organisation,
        contact=contact,
        **{
            field: data.get(field)
            for field in (
                "title",
                "context",
                "question",
                "good_outcome",
                "preferred_dates",
                "earliest_date",
                "premises_address",
                "step_free_access",
                "quiet_room",
                "nearest_transport",
                "accessibility_notes",
                "what_to_bring",
            )
        },
    )
    log_activity(challenge, "challenge.proposed", actor=contact.user)
    queue_host_email(
        contact,
        "challenge_received",
        challenge=challenge,
        link=host_link("account_request_login_code"),
    )
    return challenge


def add_briefing(mi, upload, *, actor) -> BriefingMaterial:
    """Store a briefing file for the team under a random name (the original name is kept
    for the download). Logs `briefing.uploaded`."""
    briefing = BriefingMaterial(
        micro_internship=mi,
        token=secrets.token_urlsafe(24),
        original_name=upload.name[-200:],
        content_type=upload.detected_type,
        size=upload.size,
        uploaded_by=actor,
    )
    briefing.file.save(briefing.token, upload, save=False)
    briefing.save()
    log_activity(mi, "briefing.uploaded", actor=actor, name=briefing.original_name)
    return briefing
