"""Selection's background tasks. Each is defined next to the domain function it runs (the
domain queues it after commit, so it must not import this module) and listed here under the
name older queued tasks were stored with.

All of them take row locks and so retry when the rows are busy (`core.tasks.retrying_task`).
"""

from .domain.rounds import publish_round
from .domain.waiting_lists import promote_from_waitlist_task as promote_from_waitlist
from .domain.waiting_lists import release_other_places_task as release_other_places

__all__ = ["promote_from_waitlist", "publish_round", "release_other_places"]
