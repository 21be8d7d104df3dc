"""allauth's sign-in forms with our limits in front of them: code and password-link requests
counted per email address from one address and per email address (except from an address
its account signed in from before), and the progressive delay for authenticator codes (see
accounts.ratelimits). allauth itself counts every request per address."""

from allauth.account.forms import RequestLoginCodeForm, ResetPasswordForm
from allauth.core import context, ratelimit
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django import forms

from microintern.accounts.ratelimits import (
    SECOND_FACTOR,
    begin_attempt,
    client_address,
    is_known_address,
)

TOO_MANY_FROM_HERE = (
    "You have asked for this several times in the last hour. Please use the email we sent, "
    "or try again later."
)
TOO_MANY_FOR_EMAIL = (
    "This email address has been asked for many times in the last hour. Please use the email "
    "we sent, or try again later."
)


def limit_per_address_and_email(action: str, email: str) -> None:
    """Count one request for this email address from this connection, then one for the
    email address from anywhere, or refuse with a sentence saying which. The first count
    comes first so that one connection's refused requests do not use up the email address's
    own; the second does not apply where the address's account signed in before."""
    request = context.request
    email, address = email.strip().lower(), client_address(request)
    if not ratelimit.consume(request, action=action, key=email, dry_run=True):
        return  # over allauth's per-address limit, which refuses it without counting more
    if not ratelimit.consume(request, action=f"{action}_from_address", key=f"{email} {address}"):
        raise forms.ValidationError(TOO_MANY_FROM_HERE, code="too_many_from_here")
    if not is_known_address(email, address) and not ratelimit.consume(
        request, action=f"{action}_for_email", key=email
    ):
        raise forms.ValidationError(TOO_MANY_FOR_EMAIL, code="too_many_for_email")


class LimitedRequestLoginCodeForm(RequestLoginCodeForm):
    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email:
            limit_per_address_and_email("request_login_code", email)
        return super().clean_email()


class LimitedResetPasswordForm(ResetPasswordForm):
    def clean_email(self) -> str:
        limit_per_address_and_email("reset_password", self.cleaned_data["email"])
        return super().clean_email()


class DelayedCodeMixin:
    """Wrong authenticator or recovery codes slow down the next attempt; they never lock."""

    def clean_code(self) -> str:
        attempt = begin_attempt(SECOND_FACTOR, self.user.email, client_address(context.request))
        code = super().clean_code()
        attempt.succeeded()
        return code


class DelayedAuthenticateForm(DelayedCodeMixin, AuthenticateForm):
    pass


class DelayedReauthenticateForm(DelayedCodeMixin, ReauthenticateForm):
    pass
