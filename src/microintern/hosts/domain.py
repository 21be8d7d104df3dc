"""State changes of a challenge (the host's proposal)."""

from django.db import transaction
from django.utils import timezone

from microintern.core.domain import log_activity
from microintern.core.errors import TransitionNotAllowed

from .enums import CHALLENGE_TRANSITIONS, ChallengeState
from .models import Challenge


@transaction.atomic
def transition_challenge(
    challenge: Challenge, to_state: ChallengeState, *, actor=None, reason: str = ""
) -> Challenge:
    """Move a challenge along proposed → accepted / declined → scheduled → archived.

    Refuses a move the lifecycle does not allow (naming both states) and a decline without
    a reason. Saves the new state and logs `challenge.<state>`; nothing changes on refusal.
    """
    locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
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
    challenge.refresh_from_db()
    return locked
