from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from microintern.accounts.models import Student
from microintern.programme.models import MicroInternship

from .enums import MessageKind, MessageState, ReasonCode


class InboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *MessageState.choices], label="State"
    )
    kind = forms.ChoiceField(
        required=False, choices=[("", "Any class"), *MessageKind.choices], label="Class"
    )
    reason = forms.ChoiceField(
        required=False, choices=[("", "Any reason"), *ReasonCode.choices], label="Reason"
    )
    text = forms.CharField(required=False, max_length=200, label="Reason contains")


class BulkForm(forms.Form):
    """Staff act on many messages of the inbox at once."""

    SET_ASIDE, REPROCESS, RESTORE = "set_aside", "reprocess", "restore"
    action = forms.ChoiceField(
        choices=[
            (SET_ASIDE, "Set aside"),
            (REPROCESS, "Process again"),
            (RESTORE, "Restore (undo set aside)"),
        ]
    )
    selected = forms.TypedMultipleChoiceField(coerce=int, required=False, label="Messages")
    all_on_page = forms.BooleanField(required=False, label="Select all on this page")
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason for setting them aside",
        help_text="One reason for every message you tick, e.g. \u201cnewsletter\u201d.",
    )

    def __init__(self, *args, page_ids=(), **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")  # the filter form above has a "reason" too
        super().__init__(*args, **kwargs)
        self.page_ids = [int(pk) for pk in page_ids if str(pk).isdigit()]
        self.fields["selected"].choices = [(pk, pk) for pk in self.page_ids]

    def clean(self):
        data = super().clean()
        ids = self.page_ids if data.get("all_on_page") else data.get("selected", [])
        if not ids:
            raise forms.ValidationError(
                "Tick the messages to act on, or \u201cSelect all on this page\u201d."
            )
        if data.get("action") == self.SET_ASIDE and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the messages are set aside.")
        data["ids"] = ids
        return data


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
        label=_("What did we get wrong?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": _("Tell us what we got wrong.")},
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
