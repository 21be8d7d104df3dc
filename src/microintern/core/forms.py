"""Free text a person types, always with a length limit and a message that says so.

Limits live in the forms (no migrations): a text field that is too long is refused with
the count and the limit, and the page shows the text again so it can be shortened.
"""

from django import forms
from django.core.validators import MaxLengthValidator

REASON_LENGTH = 1000  # a reason or note that staff write for a student or the log
LONG_LENGTH = 3000  # a generous page of text
EMAIL_BODY_LENGTH = 20000


def too_long_message(limit: int, *, kept: bool = True) -> str:
    """`kept`: the page shows the text again (not so on a button that redirects)."""
    message = f"Please keep this to {limit:,} characters or fewer (it has %(show_value)d)."
    return f"{message} We have kept what you wrote so you can shorten it." if kept else message


def text_field(*, max_length: int, error_messages: dict | None = None, **kwargs):
    """A CharField of at most `max_length` characters, refused with the count if longer."""
    messages = {"max_length": too_long_message(max_length), **(error_messages or {})}
    return forms.CharField(max_length=max_length, error_messages=messages, **kwargs)


def limit_length(field: forms.CharField, limit: int, message: str | None = None) -> None:
    """Give an existing text field (e.g. one a ModelForm made from a TextField) a limit."""
    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs["maxlength"] = str(limit)
    field.error_messages["max_length"] = message or too_long_message(limit)


class StateChangeForm(forms.Form):
    """A staff move of a lifecycle (the button's state) with an optional reason."""

    to_state = forms.CharField(max_length=40, required=False)
    reason = text_field(
        max_length=REASON_LENGTH,
        required=False,
        error_messages={
            "max_length": "Please keep the reason to "
            f"{REASON_LENGTH:,} characters or fewer (it has %(show_value)d)."
        },
    )

    def first_error(self) -> str:
        return next(iter(self.errors.values()))[0]
