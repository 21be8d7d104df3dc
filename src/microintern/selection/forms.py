"""Forms for setting up a round, its policy, overrides and publishing."""

from django import forms
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.core.forms import REASON_LENGTH, text_field
from microintern.programme.enums import MAX_TEAM_SIZE, MicroInternshipState
from microintern.programme.models import MicroInternship

from .enums import OverrideAction, PriorityGroup

NOBODY = ""
PRIORITY_CHOICES = [(NOBODY, "Nobody (switched off)"), *PriorityGroup.choices]


class PolicyFields(forms.Form):
    """Which criteria come first and second; the rest of the students come after them."""

    first_priority = forms.ChoiceField(
        label="Priority group 1", choices=PRIORITY_CHOICES, required=False
    )
    second_priority = forms.ChoiceField(
        label="Priority group 2", choices=PRIORITY_CHOICES, required=False
    )

    def clean(self):
        data = super().clean()
        first, second = data.get("first_priority"), data.get("second_priority")
        if first and first == second:
            self.add_error("second_priority", "Choose a different group, or nobody.")
        return data

    @property
    def priority(self) -> list[str]:
        return [
            p
            for p in (self.cleaned_data["first_priority"], self.cleaned_data["second_priority"])
            if p
        ]

    @staticmethod
    def initial_for(priority: list[str]) -> dict:
        padded = [*priority, NOBODY, NOBODY]
        return {"first_priority": padded[0], "second_priority": padded[1]}


PLAN_LENGTH = 5000


def plan_field():
    return text_field(
        max_length=PLAN_LENGTH,
        label="Analysis plan (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="How the outcomes of this round will be analysed. It is part of the public "
        "fingerprint, so it is fixed when interest closes.",
    )


def public_reason_field(label="Reason", *, required=False, help_text=""):
    return text_field(
        max_length=REASON_LENGTH,
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text or "Shown with the time on the round's public page.",
    )


class PolicyForm(PolicyFields):
    name = forms.CharField(max_length=200, label="Name of the round", help_text="e.g. Spring 2027")
    analysis_plan = plan_field()
    reason = public_reason_field("Why the policy changes", required=False)
    field_order = ["name", "first_priority", "second_priority", "analysis_plan", "reason"]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the policy changes; it is shown publicly.")
        return reason


class PublicReasonForm(forms.Form):
    """A staff action listed on the public page (close, re-open, dry run) and its reason."""

    reason = public_reason_field(required=False)

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.required = required

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if self.required and not reason:
            raise forms.ValidationError("Give a reason; it is shown on the public page.")
        return reason


class RoundForm(PolicyFields):
    name = forms.CharField(max_length=200, label="Name of the round", help_text="e.g. Spring 2027")
    analysis_plan = plan_field()
    micro_internships = forms.ModelMultipleChoiceField(
        queryset=MicroInternship.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Micro-internships in this round",
        help_text="Only micro-internships still taking interest: the seed's fingerprint is "
        "published now, before interest closes.",
    )
    field_order = [
        "name",
        "micro_internships",
        "first_priority",
        "second_priority",
        "analysis_plan",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["micro_internships"].queryset = MicroInternship.objects.filter(
            state__in=[MicroInternshipState.DRAFT, MicroInternshipState.OPEN],
            interest_closes_at__gt=timezone.now(),
        ).select_related("challenge")
        self.fields["micro_internships"].label_from_instance = lambda mi: (
            f"{mi.reference}: {mi.title} ({mi.capacity} places)"
        )


class EntryForm(forms.Form):
    """Reserve and programme cap for one micro-internship (prefix = its entry id)."""

    reserve_seats = forms.IntegerField(
        label="Places kept for one group", min_value=0, max_value=MAX_TEAM_SIZE, initial=0
    )
    reserve_group = forms.TypedChoiceField(
        label="Kept for priority group", coerce=int, required=False, empty_value=None
    )
    programme_cap = forms.IntegerField(
        label="Most students from one programme (soft)",
        min_value=1,
        max_value=MAX_TEAM_SIZE,
        required=False,
        help_text="Leave empty for no cap. The result warns when a team is over it.",
    )

    def __init__(self, *args, groups: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reserve_group"].choices = [
            ("", "None"),
            *[(n, f"{n}: {label}") for n, label in groups.items()],
        ]


class OverrideForm(forms.Form):
    action = forms.ChoiceField(label="What to do", choices=OverrideAction.choices)
    student_number = forms.CharField(label="Student number", max_length=20)
    micro_internship = forms.ModelChoiceField(
        queryset=MicroInternship.objects.none(), label="Micro-internship"
    )
    reason = text_field(
        max_length=REASON_LENGTH,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed, and logged. The student is told this reason.",
    )

    def __init__(self, *args, selection_round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["micro_internship"].queryset = selection_round.micro_internships.all()
        self.fields["micro_internship"].label_from_instance = lambda mi: mi.reference

    def clean_student_number(self):
        number = self.cleaned_data["student_number"].strip()
        student = Student.objects.filter(student_number__iexact=number).first()
        if student is None:
            raise forms.ValidationError("There is no student with this number.")
        self.student = student
        return number

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give a reason for the override.")
        return reason
