"""State changes of a challenge (the host's proposal)."""

import secrets
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from microintern.accounts.domain import language_in_use
from microintern.accounts.enums import Role
from microintern.accounts.models import User
from microintern.core.domain import log_activity
from microintern.core.errors import Refusal, TransitionNotAllowed
from microintern.core.locking import lock_row

from . import links
from .enums import CHALLENGE_TRANSITIONS, ChallengeState
from .models import BriefingMaterial, Challenge, HostContact, Organisation, UnconfirmedProposal
from .notifications import host_link, queue_host_email


class ProposalRefused(Refusal):
    """A proposal that cannot be taken; the message is for the person proposing."""


def challenge_moves(challenge: Challenge) -> list[ChallengeState]:
    """The moves staff may choose by hand now, in lifecycle order. "Scheduled" is offered
    only once a micro-internship exists: scheduling one is what makes a challenge scheduled."""
    allowed = CHALLENGE_TRANSITIONS[challenge.state]
    has_a_day = challenge.micro_internships.exists()
    return [
        state
        for state in ChallengeState
        if state in allowed and (state != ChallengeState.SCHEDULED or has_a_day)
    ]


def check_challenge_move(challenge: Challenge, to_state: ChallengeState, reason: str = "") -> None:
    """Raise `TransitionNotAllowed` (saying why) if `challenge` may not move to `to_state`
    with this reason; change nothing. A view may ask before it asks staff to confirm."""
    from_state = ChallengeState(challenge.state)
    to_state = ChallengeState(to_state)
    if to_state not in CHALLENGE_TRANSITIONS[from_state]:
        raise TransitionNotAllowed("challenge", from_state.label, to_state.label)
    if to_state == ChallengeState.SCHEDULED and not challenge.micro_internships.exists():
        raise TransitionNotAllowed.because(
            "Nothing is scheduled for this challenge yet: use “Schedule a micro-internship” "
            "and it is marked scheduled."
        )
    if to_state == ChallengeState.DECLINED and not reason.strip():
        raise TransitionNotAllowed.because("Please give the host a reason for declining.")


@transaction.atomic
def transition_challenge(
    challenge: Challenge, to_state: ChallengeState, *, actor=None, reason: str = ""
) -> Challenge:
    """Move a challenge along proposed → accepted / declined → scheduled → archived.

    Refuses (`check_challenge_move`) a move the lifecycle does not allow (naming both
    states), "scheduled" with nothing scheduled, and a decline without a reason. Locks the
    row (`core.locking`: a long wait raises `Busy`), saves the new state and logs
    `challenge.<state>`; on accepting or declining a proposal, emails the host (the decline
    with the reason). Nothing changes on refusal.
    """
    locked = lock_row(Challenge, challenge.pk)
    from_state = ChallengeState(locked.state)
    to_state = ChallengeState(to_state)
    check_challenge_move(locked, to_state, reason)
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


CHALLENGE_FIELDS = (
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


@transaction.atomic
def propose_challenge(data: dict, *, signed_in=None) -> Challenge | UnconfirmedProposal:
    """A host offers a challenge, with no account needed first.

    Rules: one HostContact per email address; an address that belongs to a student or staff
    account is refused (they would otherwise get host pages). A new address gets its
    organisation, contact and sign-in User (role host, no password: they sign in with
    emailed codes; it keeps the language of the page, so a Welsh offer hears in Welsh) and
    the challenge ("proposed"), logs `challenge.proposed` and emails the acknowledgement
    with the link back. An existing contact's address proves nothing about
    who typed it, so the challenge is held apart as an UnconfirmedProposal (never on the
    organisation), `challenge.proposal_held` is logged, and the contact is emailed a signed
    link to confirm it (`confirm_proposal`) — unless `signed_in` is that contact's own
    User (they signed in with an emailed code, which proves the address), when the
    challenge is made at once. Returns the Challenge or the held proposal.
    """
    email = data["email"].strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and user.role != Role.HOST:
        raise ProposalRefused(
            gettext(
                "This email address already has a different kind of account with us. "
                "Please use your work email address, or contact the Business Clinic."
            )
        )
    contact = HostContact.objects.filter(email__iexact=email).select_related("organisation").first()
    if contact is not None:
        if (
            signed_in is not None
            and contact.user_id is not None
            and contact.user_id == signed_in.pk
        ):
            return _challenge_for(contact, data)
        return _hold_for_the_contact(contact, data)
    organisation = Organisation.objects.create(
        name=data["organisation_name"],
        kind=data["kind"],
        sector=data["sector"],
        size_band=data["size_band"],
        address=data["premises_address"],
        website=data.get("website", ""),
    )
    if user is None:
        # A new contact keeps the language of the form they used, for the emails to come.
        user = User.objects.create_user(
            email, full_name=data["contact_name"], role=Role.HOST, language=language_in_use()
        )
    contact = HostContact.objects.create(
        organisation=organisation,
        user=user,
        name=data["contact_name"],
        email=email,
        phone=data.get("phone", ""),
        job_title=data.get("job_title", ""),
    )
    return _challenge_for(contact, data)


def _challenge_for(contact: HostContact, data: dict) -> Challenge:
    challenge = Challenge.objects.create(
        organisation=contact.organisation,
        contact=contact,
        **{field: data[field] for field in CHALLENGE_FIELDS if field in data},
    )
    log_activity(challenge, "challenge.proposed", actor=contact.user)
    queue_host_email(
        contact,
        "challenge_received",
        challenge=challenge,
        link=host_link("account_request_login_code"),
    )
    return challenge


def _hold_for_the_contact(contact: HostContact, data: dict) -> UnconfirmedProposal:
    proposal = UnconfirmedProposal.objects.create(
        contact=contact, title=data["title"], typed=data, proposed_at=timezone.now()
    )
    log_activity(proposal, "challenge.proposal_held", email=contact.email)
    queue_host_email(
        contact,
        "host_proposal_confirm",
        challenge=proposal,
        link=links.confirm_url(proposal),
    )
    return proposal


@transaction.atomic
def confirm_proposal(proposal: UnconfirmedProposal, *, actor=None) -> Challenge:
    """The contact opened the emailed link and confirmed the challenge offered with their
    address: it becomes a proposed Challenge of their organisation.

    Rules: confirming twice makes one challenge (the row is locked, `core.locking`). Side
    effects: gives the contact a sign-in User if they had none; those of a new proposal
    (`challenge.proposed`, the acknowledgement); logs `challenge.proposal_confirmed`.
    """
    locked = lock_row(UnconfirmedProposal, proposal.pk)
    if locked.challenge_id is not None:
        return locked.challenge
    contact = HostContact.objects.select_related("organisation").get(pk=locked.contact_id)
    if contact.user is None:
        contact.user = User.objects.filter(
            email__iexact=contact.email, role=Role.HOST
        ).first() or User.objects.create_user(contact.email, full_name=contact.name, role=Role.HOST)
        contact.save(update_fields=["user"])
    data = dict(locked.typed)
    if data.get("earliest_date"):
        data["earliest_date"] = date.fromisoformat(data["earliest_date"])
    challenge = _challenge_for(contact, data)
    locked.challenge = challenge
    locked.confirmed_at = timezone.now()
    locked.save(update_fields=["challenge", "confirmed_at"])
    log_activity(locked, "challenge.proposal_confirmed", actor=actor or contact.user)
    proposal.refresh_from_db()
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
