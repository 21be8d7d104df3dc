"""Hooks: how the apps above applications react to a place changing state.

applications sits below selection, so it never imports it. Instead, an app above registers a
callback once, in its `AppConfig.ready()`:

    hooks.on_place_change(domain.after_place_change)

`transition_place` calls every registered callback inside its transaction, after the place is
saved and logged, as `callback(interest, from_state, to_state)`. A callback that has work to
do after commit queues it with `transaction.on_commit`; an exception it raises rolls the
whole change back. These are plain function calls in registration order, not signals.

Selection also registers `rank_within_rounds_with(callback)`: `callback(micro_internship_ids)`
returns {micro-internship id: (round id, round name)} for the rounds not yet published, so
that a student ranks the choices that compete in the same draw (`applications.ranking`).
"""

from microintern.programme.hooks import Hook

_place_changed = Hook()
on_place_change = _place_changed.register


def place_changed(interest, from_state, to_state) -> None:
    """Tell every registered callback that `interest` moved from `from_state` to `to_state`."""
    _place_changed(interest, from_state, to_state)


_ranking_scope = Hook()
rank_within_rounds_with = _ranking_scope.register


def ranking_scopes(micro_internship_ids: list[int]) -> dict[int, tuple[int, str]]:
    """For each micro-internship id, the selection round not yet published it is in, as
    (round id, round name), from the registered callback (selection); empty if none is
    registered. A student's ranking is shown and changed per round."""
    scopes: dict[int, tuple[int, str]] = {}
    for found in _ranking_scope(micro_internship_ids):
        scopes.update(found)
    return scopes
