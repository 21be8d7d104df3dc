from django.db import models


class RoundState(models.TextChoices):
    """A selection round: set up and committed while interest is open (draft), sealed when
    interest closed (closed), tried at least once (dry run), being published by the worker
    (publishing), published (final)."""

    DRAFT = "draft", "Open for interest"
    CLOSED = "closed", "Interest closed"
    DRY_RUN = "dry_run", "Dry run"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"

    @classmethod
    def open_to_change(cls) -> frozenset["RoundState"]:
        """States in which staff may still add overrides, run again or re-open the round."""
        return frozenset({cls.DRAFT, cls.CLOSED, cls.DRY_RUN})

    @classmethod
    def sealed(cls) -> frozenset["RoundState"]:
        """States after interest closed: the commitment and the participant list are fixed,
        dry runs are allowed, and the policy can no longer change."""
        return frozenset({cls.CLOSED, cls.DRY_RUN, cls.PUBLISHING, cls.PUBLISHED})

    @classmethod
    def reopenable(cls) -> frozenset["RoundState"]:
        """Sealed states staff may re-open (with a reason shown on the public page)."""
        return frozenset({cls.CLOSED, cls.DRY_RUN})

    @classmethod
    def closed_to_change(cls) -> frozenset["RoundState"]:
        """States in which nothing about the round can change any more."""
        return frozenset({cls.PUBLISHING, cls.PUBLISHED})


ROUND_TRANSITIONS: dict[RoundState, set[RoundState]] = {
    # Interest closed: the participant list is sealed.
    RoundState.DRAFT: {RoundState.CLOSED},
    # The first dry run, or re-opened (with a reason, shown on the public page).
    RoundState.CLOSED: {RoundState.DRY_RUN, RoundState.DRAFT},
    # Staff publish through the worker (publishing) or directly (publish, e.g. in a shell);
    # or re-open. Later dry runs leave the round where it is.
    RoundState.DRY_RUN: {RoundState.PUBLISHING, RoundState.PUBLISHED, RoundState.DRAFT},
    # The worker publishes, or finds something changed since the dry run and goes back.
    RoundState.PUBLISHING: {RoundState.PUBLISHED, RoundState.DRY_RUN},
    RoundState.PUBLISHED: set(),
}


class Outcome(models.TextChoices):
    """What a run decided for one student (the label is what the staff page shows)."""

    OFFERED = "offered", "Offered"
    WAITLISTED = "waitlisted", "Waiting list"
    NOT_SELECTED = "not_selected", "Not selected"


class PriorityGroup(models.TextChoices):
    """The criteria a round can put first. Everyone who meets none is in the last group.

    Special-category data (ethnicity, disability, health, religion, sexual orientation) is
    never a criterion: see docs/selection.md.
    """

    FIRST_TIME = "first_time", "never taken part in a micro-internship"
    WIDENING_PARTICIPATION = "widening_participation", "widening-participation flag"


EVERYONE_ELSE = "everyone else"
DEFAULT_PRIORITY = [PriorityGroup.FIRST_TIME.value, PriorityGroup.WIDENING_PARTICIPATION.value]


class OverrideAction(models.TextChoices):
    ADD = "add", "Give a place"
    REMOVE = "remove", "Take out"


class RunKind(models.TextChoices):
    DRY_RUN = "dry_run", "Dry run"
    PUBLISHED = "published", "Published"
