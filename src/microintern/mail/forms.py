from django import forms

from microintern.core.forms import EMAIL_BODY_LENGTH, text_field

from .enums import MessageState
from .models import role_label
from .roles import TemplateRole
from .templating import check_source


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *MessageState.choices], label="State"
    )
    role = forms.ChoiceField(required=False, label="Kind of email")
    to = forms.CharField(required=False, label="Recipient contains", max_length=254)

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        kinds = sorted(((r, role_label(r)) for r in roles), key=lambda choice: choice[1])
        self.fields["role"].choices = [("", "Any kind"), *kinds]


class EmailTemplateForm(forms.Form):
    """A role's subject and body; refused with the reason if it is broken."""

    subject = forms.CharField(
        max_length=300, error_messages={"required": "Write the subject line of the email."}
    )
    body = text_field(
        max_length=EMAIL_BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 16}),
        error_messages={"required": "Write the body of the email."},
    )

    def __init__(self, *args, role: TemplateRole, **kwargs):
        super().__init__(*args, **kwargs)
        self.role = role

    def clean(self):
        data = super().clean()
        if "subject" in data and "body" in data:
            for problem in check_source(self.role, data["subject"], data["body"]):
                field = "subject" if problem.startswith("Subject") else "body"
                self.add_error(field, problem)
        return data
