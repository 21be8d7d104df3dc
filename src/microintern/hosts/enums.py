from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    BUSINESS = "business", _("Business")
    CHARITY = "charity", _("Charity")
    SOCIAL_ENTERPRISE = "social_enterprise", _("Social enterprise")
    PUBLIC_BODY = "public_body", _("Public body")


class SizeBand(models.TextChoices):
    MICRO = "micro", _("Micro (1–9 people)")
    SMALL = "small", _("Small (10–49)")
    MEDIUM = "medium", _("Medium (50–249)")
    LARGE = "large", _("Large (250 or more)")


class ChallengeState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    SCHEDULED = "scheduled", _("Scheduled")
    ARCHIVED = "archived", _("Archived")

    @classmethod
    def pipeline(cls) -> list["ChallengeState"]:
        """States shown as columns of the staff pipeline, in order."""
        return [cls.PROPOSED, cls.ACCEPTED, cls.SCHEDULED, cls.DECLINED, cls.ARCHIVED]

    @classmethod
    def schedulable(cls) -> list["ChallengeState"]:
        """States in which staff may schedule a micro-internship for the challenge: once
        accepted, and again once scheduled (another date, or the same challenge next term)."""
        return [cls.ACCEPTED, cls.SCHEDULED]


CHALLENGE_TRANSITIONS: dict[str, set[str]] = {
    ChallengeState.PROPOSED: {ChallengeState.ACCEPTED, ChallengeState.DECLINED},
    ChallengeState.ACCEPTED: {ChallengeState.SCHEDULED, ChallengeState.ARCHIVED},
    ChallengeState.DECLINED: {ChallengeState.ARCHIVED},
    ChallengeState.SCHEDULED: {ChallengeState.ARCHIVED, ChallengeState.ACCEPTED},
    ChallengeState.ARCHIVED: set(),
}
