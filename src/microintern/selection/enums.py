from django.db import models


class RoundState(models.TextChoices):
    """A selection round: set up (draft), tried at least once (dry run), being published by
    the worker (publishing), published (final)."""

    DRAFT = "draft", "Draft"
    DRY_RUN = "dry_run", "Dry run"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"


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
