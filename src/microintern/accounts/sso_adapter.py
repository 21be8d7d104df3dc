"""django-allauth's hooks for single sign-on: every sign-in through an identity provider
goes through `single_sign_on.sign_in_with` before allauth signs anyone in, and a staff
member's second factor is skipped only when the provider's policy says its word counts."""

import logging

import jwt
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.contrib import messages
from django.shortcuts import render

from .idp_claims import Assertion, MFAPolicy, oidc_assertion, saml_assertion
from .saml.provider import AUTHN_CONTEXTS
from .single_sign_on import SingleSignOnRefused, sign_in_with

logger = logging.getLogger("microintern.accounts.sso")

ASSERTION_ATTRIBUTE = "microintern_sign_on"  # on the request of the sign-in, for the MFA step


def provider_policy(app) -> dict:
    """The site's own settings for one provider (settings.py builds them)."""
    policy = dict(app.settings.get("microintern", {}))
    policy["email_domains"] = policy.get("email_domains") or list(
        settings.MICROINTERN["UNIVERSITY_EMAIL_DOMAINS"]
    )
    return policy


def assertion_from(sociallogin: SocialLogin) -> Assertion:
    """What the provider said in this sign-in, read with its MFA policy."""
    app = sociallogin.provider.app
    policy = provider_policy(app)
    data = sociallogin.account.extra_data or {}
    mfa_policy = MFAPolicy.of(policy.get("mfa_amr") or (), policy.get("mfa_acr") or ())
    if app.provider == "saml":
        return saml_assertion(
            app.provider_id,
            data,
            data.get(AUTHN_CONTEXTS) or (),
            email_attribute=policy["email_attribute"],
            groups_attribute=policy["groups_attribute"],
            name_attribute=policy.get("name_attribute", ""),
            email_verified_attribute=policy.get("email_verified_attribute", ""),
            policy=mfa_policy,
        )
    return oidc_assertion(
        app.provider_id,
        data.get("id_token") or {},
        data.get("userinfo") or {},
        groups_claim=policy.get("groups_claim") or "groups",
        policy=mfa_policy,
    )


def sign_on_assertion(request, user) -> Assertion | None:
    """The provider's assertion made in this very request for `user`, if any."""
    found = getattr(request, ASSERTION_ATTRIBUTE, None) if request is not None else None
    if found is not None and found[0] == user.pk:
        return found[1]
    return None


def providers_signed_in_through(request) -> list[str]:
    """The names of the identity providers this session signed in through (allauth keeps a
    record of each way the session was signed in)."""
    records = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY, [])
    provider_ids = {r.get("provider") for r in records if r.get("method") == "socialaccount"}
    kinds = settings.SOCIALACCOUNT_PROVIDERS.values()
    apps = [app for kind in kinds for app in kind.get("APPS", [])]
    return [app["name"] for app in apps if app["provider_id"] in provider_ids]


def refused_page(request, provider_name: str, message: str):
    return render(
        request,
        "socialaccount/sign_on_refused.html",
        {"provider_name": provider_name, "message": message},
        status=403,
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Accounts from a provider are found or made by `sign_in_with` in `pre_social_login`,
    so allauth's own sign-up (and its email authentication) never runs."""

    def pre_social_login(self, request, sociallogin) -> None:
        app = sociallogin.provider.app
        policy = provider_policy(app)
        assertion = assertion_from(sociallogin)
        try:
            outcome = sign_in_with(
                assertion,
                provider_name=app.name,
                trusted=policy.get("trusted", False),
                email_domains=policy["email_domains"],
            )
        except SingleSignOnRefused as refusal:
            raise ImmediateHttpResponse(refused_page(request, app.name, str(refusal))) from None
        if not sociallogin.is_existing:
            sociallogin.connect(request, outcome.user)
        sociallogin.user = outcome.user
        setattr(request, ASSERTION_ATTRIBUTE, (outcome.user.pk, assertion))
        if outcome.role_taken_back is not None:
            messages.warning(
                request,
                f"Your groups at {app.name} no longer give you the "
                f"“{outcome.role_taken_back.label}” role here, so you are signed in with "
                "your own pages only. If you still work with the Business Clinic, ask an "
                "administrator.",
            )
        elif outcome.role_given is None and outcome.unmapped_groups and not outcome.user.needs_mfa:
            messages.warning(
                request,
                f"Your groups at {app.name} ({', '.join(outcome.unmapped_groups)}) give no staff "
                "role here, so you are signed in with your own pages only. If you work with the "
                "Business Clinic, ask an administrator to add a rule for your group.",
            )

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        """A sign-in the provider's answer does not prove (a token made out to another
        client, a bad signature, an expired token, a refused code, a SAML response that
        fails its checks or answers no request of ours, as a replayed one): logged, and the
        page says which in words; nothing is created."""
        cause = getattr(exception, "__cause__", None)
        saml_reason = (extra_context or {}).get("saml_last_error_reason")
        name = getattr(getattr(provider, "app", None), "name", None) or getattr(
            provider, "name", "The identity provider"
        )
        if isinstance(cause, jwt.InvalidAudienceError):
            message = (
                f"{name} answered with a sign-in meant for another website, so we did not "
                "sign you in. Nothing was changed. Please try again; if it keeps happening, "
                "tell the Business Clinic."
            )
        elif isinstance(cause, jwt.ExpiredSignatureError):
            message = f"The sign-in from {name} had expired. Please try again."
        elif isinstance(cause, jwt.PyJWTError) or saml_reason:
            message = (
                f"We could not check the sign-in {name} sent us, so we did not sign you in. "
                "Nothing was changed."
            )
        else:
            message = (
                f"Signing in with {name} did not finish, so you are not signed in. Nothing was "
                "changed. Please try again, or sign in with an emailed code."
            )
        logger.warning(
            "single sign-on failed at %s: %s (%r, caused by %r%s)",
            getattr(provider, "id", provider),
            error,
            exception,
            cause,
            f"; SAML: {saml_reason}" if saml_reason else "",
        )
        raise ImmediateHttpResponse(refused_page(request, name, message))


class MFAAdapter(DefaultMFAAdapter):
    """allauth asks for a staff member's authenticator code after any first step; not after
    a provider's sign-in whose policy accepts its word that a second factor was used."""

    def is_mfa_enabled(self, user, types=None) -> bool:
        assertion = sign_on_assertion(allauth_context.request, user)
        if assertion is not None and assertion.mfa_asserted:
            return False
        return super().is_mfa_enabled(user, types)
