"""Errors the domain layer raises for people to read."""


class TransitionNotAllowed(Exception):
    """A lifecycle move that is not allowed; the message says why in plain English."""

    def __init__(self, what: str, from_label: str = "", to_label: str = "", message: str = ""):
        self.from_label, self.to_label = from_label, to_label
        super().__init__(message or f"This {what} cannot move from “{from_label}” to “{to_label}”.")

    @classmethod
    def because(cls, message: str) -> "TransitionNotAllowed":
        return cls("", message=message)


class CapacityFull(TransitionNotAllowed):
    """Every place on the micro-internship is already offered or accepted."""
