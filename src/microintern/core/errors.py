"""Errors the domain layer raises for people to read.

Every refusal a person can meet derives from `Refusal`: its message is a plain-English
sentence that a view may show as it is, and raising one changes nothing.
"""


class Refusal(Exception):
    """Something a person asked for that the rules do not allow; the message says why."""


class TransitionNotAllowed(Refusal):
    """A lifecycle move that is not allowed; the message says why in plain English."""

    def __init__(self, what: str, from_label: str = "", to_label: str = "", message: str = ""):
        self.from_label, self.to_label = from_label, to_label
        super().__init__(message or f"This {what} cannot move from “{from_label}” to “{to_label}”.")

    @classmethod
    def because(cls, message: str) -> "TransitionNotAllowed":
        return cls("", message=message)


class CapacityFull(TransitionNotAllowed):
    """Every place on the micro-internship is already offered or accepted."""


class Busy(Refusal):
    """Another change holds the rows this one needs for longer than the lock timeout.

    Nothing was changed. A person is asked to try again; a task is run again a little
    later (`core.tasks.retry_when_busy`).
    """

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or "Someone else is changing this right now. Nothing was changed: please try "
            "again in a moment."
        )


class ChangedSinceRead(Busy):
    """A change prepared from rows read before its write transaction found, under the
    lock, that one of those rows (or a count it used) had changed in between
    (`core.locking.images_differ`). Nothing was changed; like `Busy`, a person is asked to
    try again and a task runs again a little later."""

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or "Someone else changed this while it was being prepared. Nothing was changed: "
            "please try again in a moment."
        )
