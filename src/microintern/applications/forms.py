from django import forms

from .domain import count_words, statement_word_limit


class InterestForm(forms.Form):
    """The short expression of interest: one answer, optional access needs, a tick."""

    statement = forms.CharField(
        label="Why are you interested?",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Please tell us in a few words why you are interested."},
    )
    access_needs = forms.CharField(
        label="Anything we should arrange so you can take part? (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    can_attend = forms.BooleanField(
        label="I can come on the day, for the whole day",
        error_messages={"required": "Please confirm that you can come on the day."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = statement_word_limit()
        self.fields["statement"].help_text = f"{limit} words at most."

    def clean_statement(self):
        statement = self.cleaned_data["statement"]
        words, limit = count_words(statement), statement_word_limit()
        if words > limit:
            raise forms.ValidationError(
                f"Your answer has {words} words. Please shorten it to {limit} words or fewer."
            )
        return statement


class PlaceDecisionForm(forms.Form):
    """A staff decision on one place, with an optional reason shown to the student."""

    to_state = forms.CharField()
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
