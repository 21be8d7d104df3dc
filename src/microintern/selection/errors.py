"""Refusals of the selection app: every one is a sentence staff can read as it is."""

from microintern.core.errors import TransitionNotAllowed


class SelectionRefused(TransitionNotAllowed):
    """A round cannot be run, changed or published; the message says why."""
