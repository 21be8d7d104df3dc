from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    STAFF = "staff", _("Entered by staff")


class PlaceState(models.TextChoices):
    """Where a student's expression of interest stands. Student-facing labels are plain."""

    RECEIVED = "received", _("Received")
    WAITLISTED = "waitlisted", _("On the waiting list")
    NOT_SELECTED = "not_selected", _("Not selected this time")
    OFFERED = "offered", _("Offered a place")
    ACCEPTED = "accepted", _("Place accepted")
    DECLINED = "declined", _("Place declined")
    EXPIRED = "expired", _("Offer expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("Did not attend")

    @classmethod
    def holding_a_seat(cls) -> list["PlaceState"]:
        """States that take one of the micro-internship's places."""
        return [cls.OFFERED, cls.ACCEPTED, cls.ATTENDED, cls.NO_SHOW]

    @classmethod
    def awaiting_decision(cls) -> list["PlaceState"]:
        return [cls.RECEIVED, cls.WAITLISTED]

    @classmethod
    def told_of_cancellation(cls) -> list["PlaceState"]:
        """Still in the running: told when the micro-internship is cancelled."""
        return [cls.RECEIVED, cls.WAITLISTED, cls.OFFERED, cls.ACCEPTED]

    @classmethod
    def student_can_withdraw(cls) -> list["PlaceState"]:
        """States from which the student's page offers to withdraw."""
        return [cls.RECEIVED, cls.WAITLISTED, cls.ACCEPTED]

    @classmethod
    def can_be_discarded(cls) -> list["PlaceState"]:
        """States of an interest not yet kept from which the student may discard it."""
        return [cls.RECEIVED, cls.WAITLISTED, cls.NOT_SELECTED]

    @classmethod
    def on_the_team(cls) -> list["PlaceState"]:
        """The confirmed team the host sees and shares briefing files with."""
        return [cls.ACCEPTED, cls.ATTENDED]

    @classmethod
    def on_the_register(cls) -> list["PlaceState"]:
        """Places on the day's attendance register: accepted, or already marked."""
        return [cls.ACCEPTED, cls.ATTENDED, cls.NO_SHOW]


PLACE_TRANSITIONS: dict[str, set[str]] = {
    PlaceState.RECEIVED: {
        PlaceState.OFFERED,
        PlaceState.WAITLISTED,
        PlaceState.NOT_SELECTED,
        PlaceState.WITHDRAWN,
    },
    PlaceState.WAITLISTED: {PlaceState.OFFERED, PlaceState.NOT_SELECTED, PlaceState.WITHDRAWN},
    # Offered or waiting after all: a freed place, a staff decision, or a second round.
    PlaceState.NOT_SELECTED: {PlaceState.OFFERED, PlaceState.WAITLISTED, PlaceState.WITHDRAWN},
    PlaceState.OFFERED: {
        PlaceState.ACCEPTED,
        PlaceState.DECLINED,
        PlaceState.EXPIRED,
        PlaceState.WITHDRAWN,
    },
    PlaceState.ACCEPTED: {PlaceState.ATTENDED, PlaceState.NO_SHOW, PlaceState.WITHDRAWN},
    PlaceState.ATTENDED: {PlaceState.NO_SHOW},
    PlaceState.NO_SHOW: {PlaceState.ATTENDED},
    PlaceState.DECLINED: set(),
    PlaceState.EXPIRED: set(),
    PlaceState.WITHDRAWN: set(),
}
