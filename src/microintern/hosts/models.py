"""Organisations that host, their contacts, and the challenges they bring."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .enums import ChallengeState, OrganisationKind, SizeBand


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=OrganisationKind.choices)
    sector = models.CharField(max_length=100, help_text="e.g. Hospitality, Arts, Health")
    size_band = models.CharField(max_length=20, choices=SizeBand.choices)
    address = models.TextField()
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values), name="organisation_kind_known"
            )
        ]

    def __str__(self) -> str:
        return self.name


class HostContact(models.Model):
    """A person at a host organisation; signs in with emailed codes through `user`."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contacts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="host_contact",
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Challenge(models.Model):
    """The host's brief. Its lifecycle is changed only by `hosts.domain.transition_challenge`."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="challenges"
    )
    contact = models.ForeignKey(HostContact, on_delete=models.PROTECT, related_name="challenges")
    title = models.CharField(max_length=200)
    context = models.TextField(help_text="About the organisation and the situation.")
    question = models.TextField(help_text="The question the team should answer.")
    good_outcome = models.TextField(help_text="What a useful outcome looks like.")
    materials = models.TextField(blank=True, help_text="Materials the host will share.")
    subject_area = models.CharField(max_length=100, blank=True)
    preferred_dates = models.TextField(blank=True)
    earliest_date = models.DateField(
        null=True, blank=True, help_text="The earliest day that would suit the host."
    )
    premises_address = models.TextField(blank=True)
    step_free_access = models.BooleanField(null=True, blank=True)
    quiet_room = models.BooleanField(null=True, blank=True)
    nearest_transport = models.CharField(max_length=300, blank=True)
    accessibility_notes = models.TextField(blank=True)
    what_to_bring = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=ChallengeState.choices, default=ChallengeState.PROPOSED
    )
    decline_reason = models.TextField(blank=True)
    proposed_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ChallengeState.values), name="challenge_state_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=ChallengeState.DECLINED) | ~models.Q(decline_reason=""),
                name="challenge_declined_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def can_be_scheduled(self) -> bool:
        return self.state in ChallengeState.schedulable()


class UnconfirmedProposal(models.Model):
    """A challenge offered, by someone not signed in, with the address of an existing host
    contact. It is held apart, never on the organisation, until the contact confirms it by
    the emailed link (`hosts.domain.confirm_proposal`), which makes the Challenge."""

    contact = models.ForeignKey(
        HostContact, on_delete=models.CASCADE, related_name="unconfirmed_proposals"
    )
    title = models.CharField(max_length=200)
    typed = models.JSONField(
        encoder=DjangoJSONEncoder,
        help_text="Everything typed on the form, as typed (the challenge is made from it).",
    )
    proposed_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    challenge = models.OneToOneField(
        Challenge,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="confirmed_proposal",
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True) | models.Q(challenge__isnull=False),
                name="confirmed_proposal_has_its_challenge",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (unconfirmed, {self.contact.email})"


def briefing_path(instance, filename: str) -> str:
    return f"briefings/{instance.micro_internship_id}/{instance.token}"


class BriefingMaterial(models.Model):
    """A file a host shares with the team; served only to the team (accepted or attended
    places), that host's contacts and staff."""

    micro_internship = models.ForeignKey(
        "programme.MicroInternship", on_delete=models.CASCADE, related_name="briefings"
    )
    file = models.FileField(upload_to=briefing_path, max_length=300)
    token = models.CharField(max_length=40, unique=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
