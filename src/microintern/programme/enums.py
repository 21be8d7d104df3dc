from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_TEAM_SIZE = 10


class MicroInternshipState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for interest")
    CLOSED = "closed", _("Closed for interest")
    SELECTION_PUBLISHED = "selection_published", _("Selection published")
    COMPLETED = "completed", _("Completed")
    EVALUATED = "evaluated", _("Evaluated")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def public(cls) -> list["MicroInternshipState"]:
        """States in which the public may see a micro-internship."""
        return [cls.OPEN, cls.CLOSED, cls.SELECTION_PUBLISHED, cls.COMPLETED, cls.EVALUATED]

    @classmethod
    def upcoming(cls) -> list["MicroInternshipState"]:
        return [cls.DRAFT, cls.OPEN, cls.CLOSED, cls.SELECTION_PUBLISHED]

    @classmethod
    def interest_can_open(cls) -> list["MicroInternshipState"]:
        """States from which staff may open the interest window by hand."""
        return [cls.DRAFT, cls.CLOSED]

    @classmethod
    def after_the_day(cls) -> list["MicroInternshipState"]:
        """The day has happened: feedback is open."""
        return [cls.COMPLETED, cls.EVALUATED]


MICRO_INTERNSHIP_TRANSITIONS: dict[str, set[str]] = {
    MicroInternshipState.DRAFT: {MicroInternshipState.OPEN, MicroInternshipState.CANCELLED},
    MicroInternshipState.OPEN: {MicroInternshipState.CLOSED, MicroInternshipState.CANCELLED},
    MicroInternshipState.CLOSED: {
        MicroInternshipState.OPEN,
        MicroInternshipState.SELECTION_PUBLISHED,
        MicroInternshipState.CANCELLED,
    },
    MicroInternshipState.SELECTION_PUBLISHED: {
        MicroInternshipState.COMPLETED,
        MicroInternshipState.CANCELLED,
    },
    MicroInternshipState.COMPLETED: {MicroInternshipState.EVALUATED},
    MicroInternshipState.EVALUATED: set(),
    MicroInternshipState.CANCELLED: set(),
}
