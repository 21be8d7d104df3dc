from django import forms
from django.db.models import Q

from microintern.accounts.models import Student
from microintern.programme.models import MicroInternship

from .enums import MessageKind, MessageState


class InboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *MessageState.choices], label="State"
    )
    kind = forms.ChoiceField(
        required=False, choices=[("", "Any class"), *MessageKind.choices], label="Class"
    )


class LinkForm(forms.Form):
    """Staff link a message to a student and a micro-internship."""

    student = forms.CharField(
        label="Student number or university email address",
        max_length=254,
        error_messages={"required": "Enter the student's number or university email address."},
    )
    reference = forms.CharField(
        label="Micro-internship reference",
        help_text="For example MI-2026-007.",
        max_length=20,
        error_messages={"required": "Enter the micro-internship's reference."},
    )
    remember_address = forms.BooleanField(
        required=False,
        label="This address is the student's personal address: remember it for their next "
        "emails once they confirm it",
    )

    def clean_student(self):
        value = self.cleaned_data["student"].strip()
        student = Student.objects.filter(
            Q(student_number__iexact=value) | Q(email__iexact=value)
        ).first()
        if student is None:
            raise forms.ValidationError("No student has this number or email address.")
        return student

    def clean_reference(self):
        value = self.cleaned_data["reference"].strip()
        mi = MicroInternship.objects.filter(reference__iexact=value).first()
        if mi is None:
            raise forms.ValidationError("No micro-internship has this reference.")
        return mi


class SetAsideForm(forms.Form):
    reason = forms.CharField(
        label="Why is it set aside?",
        max_length=500,
        error_messages={"required": "Say why the message is set aside."},
    )


class CorrectionForm(forms.Form):
    correction = forms.CharField(
        label="What did we get wrong?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": "Tell us what we got wrong."},
    )


class ReplyForm(forms.Form):
    """Staff write a short reply to the sender."""

    text = forms.CharField(
        label="Your reply",
        help_text="Sent to the sender's address as a reply to their message.",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        error_messages={"required": "Write the reply."},
    )
