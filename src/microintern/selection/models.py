"""Selection rounds, their runs and staff overrides. Changed only through selection.domain."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import Exact, GreaterThan

from microintern.programme.enums import MAX_TEAM_SIZE

from .enums import DEFAULT_PRIORITY, ROUND_TRANSITIONS, OverrideAction, RoundState, RunKind


def default_priority() -> list[str]:
    return list(DEFAULT_PRIORITY)


class SelectionRound(models.Model):
    """One draw over one or many micro-internships, under a published policy.

    `priority` lists the criteria (enums.PriorityGroup values) in order, highest first; a
    criterion left out is switched off, and everyone who meets none is in the last group.
    `seed` is secret until the round is published; `seed_commitment` (its SHA-256) is public
    from the moment the round is created, which is before interest closes. `commitment` binds
    the seed's SHA-256, `policy` (the canonical policy, see `selection.commitment`) and
    `analysis_plan`; it is public from the start and can change only while interest is open
    (each change listed on the public page). When interest closes (`closed_at`) the round
    records `participants_digest`, from which, with the seed, the draw is derived.
    """

    name = models.CharField(max_length=200)
    micro_internships = models.ManyToManyField(
        "programme.MicroInternship", through="RoundMicroInternship", related_name="rounds"
    )
    priority = models.JSONField(default=default_priority)
    seed = models.CharField(max_length=128)
    seed_commitment = models.CharField(max_length=64)
    policy = models.JSONField(default=dict, help_text="The canonical policy committed to.")
    analysis_plan = models.TextField(
        blank=True, help_text="How the round's outcomes will be analysed, fixed with the policy."
    )
    commitment = models.CharField(max_length=64)
    closed_at = models.DateTimeField(null=True, blank=True)
    participants_digest = models.CharField(max_length=64, blank=True)
    participants = models.JSONField(
        default=list,
        blank=True,
        help_text="The sealed participant list: [pseudonym, [references best first]], sorted.",
    )
    state = models.CharField(max_length=20, choices=RoundState.choices, default=RoundState.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    publishing_run = models.ForeignKey(
        "SelectionRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The dry run staff last asked to publish.",
    )
    publish_emails = models.CharField(
        max_length=32,
        blank=True,
        help_text="The outbox action the emails of publishing are queued under "
        "(`mail.outbox.one_action`): staff see, hold back, release or discard them by it.",
    )
    hold_publish_emails = models.BooleanField(
        default=False,
        help_text="Staff asked for the emails of publishing to be held for them to check "
        "and release (or discard) from the round's page.",
    )
    publish_failed_at = models.DateTimeField(null=True, blank=True)
    publish_failure = models.TextField(
        blank=True,
        help_text="Why the last attempt to publish did not happen (empty when it did not fail).",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=RoundState.values), name="round_state_known"
            ),
            models.CheckConstraint(
                condition=Exact(Length("seed_commitment"), 64), name="round_commitment_is_sha256"
            ),
            models.CheckConstraint(
                condition=Exact(Length("commitment"), 64), name="round_fingerprint_is_sha256"
            ),
            models.CheckConstraint(
                condition=models.Q(state=RoundState.DRAFT, closed_at__isnull=True)
                | (~models.Q(state=RoundState.DRAFT) & models.Q(closed_at__isnull=False)),
                name="round_sealed_has_close_time",
            ),
            models.CheckConstraint(
                condition=models.Q(participants_digest="")
                | (Exact(Length("participants_digest"), 64) & ~models.Q(state=RoundState.DRAFT)),
                name="round_digest_only_when_sealed",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=RoundState.PUBLISHED)
                | models.Q(published_at__isnull=False),
                name="round_published_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(publish_failed_at__isnull=True, publish_failure="")
                | (
                    models.Q(publish_failed_at__isnull=False, state=RoundState.DRY_RUN)
                    & ~models.Q(publish_failure="")
                ),
                name="round_publish_failure_has_time_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.state == RoundState.PUBLISHED

    @property
    def is_sealed(self) -> bool:
        return self.state in RoundState.sealed()

    @property
    def can_reopen(self) -> bool:
        return self.state in RoundState.reopenable()

    @property
    def is_publishing(self) -> bool:
        return self.state == RoundState.PUBLISHING

    @property
    def is_open_to_change(self) -> bool:
        return self.state in RoundState.open_to_change()

    @property
    def can_start_publishing(self) -> bool:
        return RoundState.PUBLISHING in ROUND_TRANSITIONS[RoundState(self.state)]


class RoundMicroInternship(models.Model):
    """A micro-internship in a round, with its optional soft reserve and programme cap.

    `reserve_group` is a priority group number (1 = the first criterion); `reserve_seats`
    places are kept for that group and become open places when not filled. `round_open` is
    true until the round is published (set only by `transition_round`): a micro-internship
    is in at most one open round (a database rule).
    """

    round = models.ForeignKey(SelectionRound, on_delete=models.CASCADE, related_name="entries")
    micro_internship = models.ForeignKey(
        "programme.MicroInternship", on_delete=models.PROTECT, related_name="round_entries"
    )
    reserve_group = models.PositiveSmallIntegerField(null=True, blank=True)
    reserve_seats = models.PositiveSmallIntegerField(default=0)
    programme_cap = models.PositiveSmallIntegerField(null=True, blank=True)
    round_open = models.BooleanField(default=True)

    class Meta:
        # By day, then reference: a stable order for pages, results and the audit file
        # (micro-internships on the same day would otherwise come back in any order).
        ordering = ["micro_internship__starts_at", "micro_internship__reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["micro_internship"],
                condition=models.Q(round_open=True),
                name="one_open_round_per_micro_internship",
            ),
            models.UniqueConstraint(
                fields=["round", "micro_internship"], name="micro_internship_once_per_round"
            ),
            models.CheckConstraint(
                condition=models.Q(reserve_seats__lte=MAX_TEAM_SIZE), name="reserve_at_most_10"
            ),
            models.CheckConstraint(
                condition=models.Q(reserve_seats=0) | models.Q(reserve_group__isnull=False),
                name="reserve_names_its_group",
            ),
            models.CheckConstraint(
                condition=models.Q(programme_cap__isnull=True) | models.Q(programme_cap__gte=1),
                name="programme_cap_at_least_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.micro_internship.reference}"


class SelectionRun(models.Model):
    """One run of the engine: the inputs exactly as it saw them and its result (JSON).

    A dry run changes nothing; the published run is the one whose outcomes went out (and
    whose waiting lists promotion follows).
    """

    round = models.ForeignKey(SelectionRound, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=20, choices=RunKind.choices, default=RunKind.DRY_RUN)
    inputs = models.JSONField()
    result = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=RunKind.values), name="run_kind_known"
            ),
            models.UniqueConstraint(
                fields=["round"],
                condition=models.Q(kind=RunKind.PUBLISHED),
                name="one_published_run_per_round",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} run {self.pk} ({self.kind})"

    @property
    def is_published(self) -> bool:
        return self.kind == RunKind.PUBLISHED

    @property
    def is_dry_run(self) -> bool:
        return self.kind == RunKind.DRY_RUN


class Override(models.Model):
    """A staff decision that sets the lottery aside for one student: give them a place on a
    micro-internship, or take them out of it. Always with a reason (a database rule)."""

    round = models.ForeignKey(SelectionRound, on_delete=models.CASCADE, related_name="overrides")
    micro_internship = models.ForeignKey(
        "programme.MicroInternship", on_delete=models.CASCADE, related_name="+"
    )
    student = models.ForeignKey("accounts.Student", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=OverrideAction.choices)
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=OverrideAction.values), name="override_action_known"
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("reason")), 0), name="override_has_reason"
            ),
            models.UniqueConstraint(
                fields=["round", "student"], name="one_override_per_student_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.student} ({self.micro_internship.reference})"
