from django import forms
from django.utils import timezone

from microintern.accounts.enums import Role
from microintern.accounts.models import User
from microintern.core.forms import EMAIL_BODY_LENGTH, LONG_LENGTH, limit_length, text_field

from .enums import MAX_TEAM_SIZE
from .models import DETAIL_FIELDS, MicroInternship

TEXT_FIELDS = ("venue_address", "accessibility_notes", "travel_notes", "what_to_bring")


class MicroInternshipForm(forms.ModelForm):
    """Schedule a micro-internship: one day, capacity 1–10, interest closing before the day."""

    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    capacity = forms.IntegerField(
        min_value=1,
        max_value=MAX_TEAM_SIZE,
        error_messages={
            "min_value": "A team needs at least 1 place.",
            "max_value": f"A team has at most {MAX_TEAM_SIZE} places.",
        },
    )

    class Meta:
        model = MicroInternship
        fields = list(DETAIL_FIELDS)
        widgets = {
            "interest_opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "interest_closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = User.objects.filter(
            role__in=[Role.STAFF, Role.ADMINISTRATOR], is_active=True
        ).order_by("full_name")
        for name in TEXT_FIELDS:
            limit_length(self.fields[name], LONG_LENGTH)
        if self.instance.pk:
            start = timezone.localtime(self.instance.starts_at)
            self.initial.update(
                day=start.date(),
                start_time=start.time(),
                end_time=timezone.localtime(self.instance.ends_at).time(),
            )

    def clean(self):
        data = super().clean()
        day, start, end = data.get("day"), data.get("start_time"), data.get("end_time")
        if day and "day" in self.changed_data and day <= timezone.localdate():
            self.add_error("day", "Please choose a day after today.")
        if day and start and end:
            if end <= start:
                self.add_error("end_time", "The day must end after it starts.")
            tz = timezone.get_current_timezone()
            data["starts_at"] = timezone.make_aware(timezone.datetime.combine(day, start), tz)
            data["ends_at"] = timezone.make_aware(timezone.datetime.combine(day, end), tz)
            closes = data.get("interest_closes_at")
            if closes and timezone.localtime(closes).date() >= day:
                self.add_error("interest_closes_at", "Interest must close before the day itself.")
        opens, closes = data.get("interest_opens_at"), data.get("interest_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("interest_closes_at", "Interest must close after it opens.")
        return data

    def save(self, commit=True):
        self.instance.starts_at = self.cleaned_data["starts_at"]
        self.instance.ends_at = self.cleaned_data["ends_at"]
        return super().save(commit=commit)


class MessagePeopleForm(forms.Form):
    """Staff write to a micro-internship's team or to its host; sent only once confirmed."""

    to = forms.ChoiceField(
        choices=[("team", "The team (students who accepted a place)"), ("host", "The host")],
        widget=forms.RadioSelect,
        label="Send to",
        error_messages={"required": "Please choose who to send it to."},
    )
    subject = text_field(
        max_length=150,
        label="Subject",
        error_messages={"required": "Please give the email a subject."},
    )
    message = text_field(
        max_length=EMAIL_BODY_LENGTH,
        label="Message",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Please write the message."},
    )


class ScheduleForm(MicroInternshipForm):
    """Scheduling a challenge: the micro-internship's details and the challenge's subject
    area, which students filter the list by."""

    subject_area = text_field(
        max_length=100,
        label="Subject area",
        help_text="What students will see it under, e.g. Marketing, Data, Events.",
        error_messages={
            "required": "Please give a subject area: students find micro-internships by it."
        },
    )
