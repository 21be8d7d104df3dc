from django.db import models

MAX_TEAM_SIZE = 10


class MicroInternshipState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for interest"
    CLOSED = "closed", "Closed for interest"
    SELECTION_PUBLISHED = "selection_published", "Selection published"
    COMPLETED = "completed", "Completed"
    EVALUATED = "evaluated", "Evaluated"
    CANCELLED = "cancelled", "Cancelled"

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
