"""What an administrator types about people: a university sign-in group's role."""

from django import forms
from django.conf import settings

from microintern.core.forms import REASON_LENGTH, text_field

from .domain import STAFF_SIDE_ROLES


def configured_provider_ids() -> list[tuple[str, str]]:
    providers = settings.SOCIALACCOUNT_PROVIDERS
    apps = [*providers.get("openid_connect", {}).get("APPS", [])]
    apps += providers.get("saml", {}).get("APPS", [])
    return [(app["provider_id"], app.get("name") or app["provider_id"]) for app in apps]


class SignOnRuleForm(forms.Form):
    provider_id = forms.ChoiceField(
        label="University sign-in",
        error_messages={"required": "Please choose the sign-in the group comes from."},
    )
    group = text_field(
        max_length=300,
        label="Group",
        help_text="Exactly as the sign-in sends it (for Entra ID often an object id).",
        error_messages={"required": "Please give the group."},
    )
    role = forms.ChoiceField(
        label="Role its people get",
        choices=[(role.value, role.label) for role in STAFF_SIDE_ROLES],
        error_messages={"required": "Please choose a role."},
    )
    reason = text_field(
        max_length=REASON_LENGTH,
        label="Reason (kept in the activity log)",
        error_messages={"required": "Please give a reason: it is kept in the activity log."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider_id"].choices = configured_provider_ids()
