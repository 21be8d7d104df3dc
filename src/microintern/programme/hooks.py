"""Hooks: how the apps above programme take part in a micro-internship's changes.

programme sits below applications (places belong to applications), so it never imports it.
An app above registers, once, in its `AppConfig.ready()`:

- `on_micro_internship_change(callback)`: `transition_micro_internship` calls
  `callback(mi, from_state, to_state)` inside its transaction, after saving and logging and
  before the host is told (applications: cancelling tells the students still in the running).
- `on_micro_internship_scheduled(callback)`: `schedule_micro_internship` calls
  `callback(mi)` inside its transaction, after saving and logging the new draft (api: the
  webhook subscriptions hear of it).
- `count_places_taken_with(counter)`: `counter(mi)` says how many of the micro-internship's
  places are given out (offered or taken), so a capacity change can refuse to go below it.

Plain function calls in registration order, not signals; an exception rolls the change back.
"""

from collections.abc import Callable


class Hook:
    """Callbacks that apps above register once; called in registration order."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def register(self, callback: Callable) -> Callable:
        """Add `callback` (registering the same one again changes nothing)."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def __call__(self, *args) -> list:
        """Call every callback with `args`; their results, in registration order."""
        return [callback(*args) for callback in self._callbacks]


_micro_internship_changed = Hook()
_places_taken = Hook()
_micro_internship_scheduled = Hook()
on_micro_internship_change = _micro_internship_changed.register
on_micro_internship_scheduled = _micro_internship_scheduled.register
count_places_taken_with = _places_taken.register


def micro_internship_changed(mi, from_state, to_state) -> None:
    """Tell every registered callback that `mi` moved from `from_state` to `to_state`."""
    _micro_internship_changed(mi, from_state, to_state)


def micro_internship_scheduled(mi) -> None:
    """Tell every registered callback that `mi` was just scheduled (a new draft)."""
    _micro_internship_scheduled(mi)


def places_taken(mi) -> int:
    """Places on `mi` already offered or taken, as the registered counters count them."""
    return sum(_places_taken(mi))
