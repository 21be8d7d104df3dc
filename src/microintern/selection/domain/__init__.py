"""Selection's domain layer, by job: `rounds` (set up, policy, overrides, dry runs,
publishing and the round lifecycle), `inputs` (who takes part and how, read into the
engine's inputs), `results` (the typed result and its stored JSON), `waiting_lists`
(promotion, released places and expired offers after publishing) and `second_rounds`
(a draw for the places left once the waiting lists are used).

The fair part is `selection.engine` (pure Python); every sentence a student reads is in
`selection.wording`. The names other apps, the staff pages, the command line and the
periodic jobs use are re-exported here.
"""

from ..errors import SelectionRefused
from ..wording import group_labels
from .inputs import Inputs, build_inputs
from .results import Decision, RoundResult, StudentResult, compute, compute_result
from .rounds import (
    add_override,
    close_round,
    create_round,
    current_policy,
    dry_run,
    finish_publishing,
    publish,
    remove_override,
    reopen_round,
    start_publishing,
    transition_round,
    update_policy,
    who_publishing_emails,
)
from .second_rounds import create_second_round, places_left
from .waiting_lists import (
    after_place_change,
    expire_offers,
    promote_from_waitlist,
    promote_waiting_lists,
    release_other_places,
)

__all__ = [
    "Decision",
    "Inputs",
    "RoundResult",
    "SelectionRefused",
    "StudentResult",
    "add_override",
    "close_round",
    "current_policy",
    "after_place_change",
    "build_inputs",
    "compute",
    "compute_result",
    "create_round",
    "create_second_round",
    "dry_run",
    "expire_offers",
    "finish_publishing",
    "group_labels",
    "places_left",
    "promote_from_waitlist",
    "promote_waiting_lists",
    "publish",
    "release_other_places",
    "remove_override",
    "reopen_round",
    "start_publishing",
    "transition_round",
    "update_policy",
    "who_publishing_emails",
]
