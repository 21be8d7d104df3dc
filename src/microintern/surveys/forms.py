from django import forms

from .enums import ResponseType


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
                field = forms.IntegerField(min_value=item.minimum, max_value=item.maximum)
            else:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
            field.required = item.required
            field.label = item.text
            field.scale = item.scale
            self.fields[item.code] = field
