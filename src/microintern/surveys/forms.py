from django import forms

from microintern.core.forms import text_field

from .enums import ResponseType

QUESTION_LENGTH = 1000


class ResponseForm(forms.Form):
    """One field per item of an instrument version; every question is optional."""

    def __init__(self, items, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            if item.response_type == ResponseType.SCALE:
                anchors = list(item.anchors) + [""] * (item.maximum - item.minimum + 1)
                choices = [
                    (str(value), f"{value} – {anchors[i]}" if anchors[i] else str(value))
                    for i, value in enumerate(range(item.minimum, item.maximum + 1))
                ]
                field = forms.TypedChoiceField(
                    choices=choices, coerce=int, widget=forms.RadioSelect, empty_value=None
                )
            elif item.response_type == ResponseType.YES_NO:
                field = forms.TypedChoiceField(
                    choices=[("1", "Yes"), ("0", "No")],
                    coerce=int,
                    widget=forms.RadioSelect,
                    empty_value=None,
                )
            elif item.response_type == ResponseType.NUMBER:
                in_words = (
                    f"Please give a whole number from {item.minimum} to {item.maximum} for "
                    f"“{item.text}”, or leave it blank."
                )
                field = forms.IntegerField(
                    min_value=item.minimum,
                    max_value=item.maximum,
                    error_messages={
                        "invalid": in_words,
                        "min_value": in_words,
                        "max_value": in_words,
                    },
                )
            else:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
            field.required = item.required
            field.label = item.text
            field.scale = item.scale
            field.stem = item.stem
            self.fields[item.code] = field


class ItemEditForm(forms.Form):
    """One item of the next version: wording can change; the code stays (it pairs answers
    across versions). Blank code + text on an extra row = no new item."""

    code = forms.SlugField(max_length=40, required=False, label="Code")
    text = text_field(
        max_length=QUESTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Question",
    )
    response_type = forms.ChoiceField(
        choices=ResponseType.choices, label="Answer type", required=False
    )
    scale = forms.CharField(max_length=40, required=False, label="Scale (for scale scores)")
    minimum = forms.IntegerField(required=False, label="Lowest")
    maximum = forms.IntegerField(required=False, label="Highest")
    keep = forms.BooleanField(required=False, initial=True, label="Keep in the new version")

    def clean(self):
        data = super().clean()
        if data.get("text") and not data.get("response_type"):
            self.add_error("response_type", "Choose the answer type.")
        if data.get("text") and not data.get("code"):
            self.add_error("code", "Give the new question a code, e.g. conf_networking.")
        if (
            data.get("response_type") == ResponseType.SCALE
            and data.get("text")
            and (data.get("minimum") is None or data.get("maximum") is None)
        ):
            self.add_error("maximum", "A rating scale needs its lowest and highest values.")
        return data


ItemFormSet = forms.formset_factory(ItemEditForm, extra=2)


class VersionNoteForm(forms.Form):
    note = forms.CharField(
        max_length=200, label="What changed", help_text="Kept with the new version."
    )
