"""allauth's SAML views, loaded on their first request (python3-saml, lxml and xmlsec stay
out of every process that never sees a SAML sign-in), a clear refusal for a response that
answers no sign-in this browser started (a replayed or unsolicited assertion), and single
logout only on a message the identity provider signed."""

import logging

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from microintern.accounts.sso_adapter import refused_page

logger = logging.getLogger("microintern.accounts.sso")

NOT_OURS = (
    "This sign-in answer from your university does not belong to a sign-in started here in "
    "this browser (it may have been used already), so we did not sign you in. Nothing was "
    "changed. Please press the sign-in button again."
)


NOT_SIGNED = (
    "This sign-out request does not carry your university's signature, so we did not act on "
    "it: if you were signed in here, you still are. To sign out, use “Sign out” on this site."
)
NOT_CHECKED = (
    "We could not check this sign-out request from your university, so we did not act on "
    "it: if you were signed in here, you still are. To sign out, use “Sign out” on this site."
)


def sign_out_refused(request, message: str):
    """The page saying a single logout was not acted on, and why."""
    return render(request, "socialaccount/sign_out_refused.html", {"message": message}, status=400)


def single_logout(request, organization_slug):
    """The identity provider's LogoutRequest (it signs the person out here, then the browser
    goes back to the provider with the answer) or LogoutResponse, through allauth's SLS
    view, which checks a signature only when there is one: a message without one is
    refused here, so that no other site can sign people out by a link."""
    if "Signature" not in request.GET:
        logger.warning("single logout refused (message not signed) at %s", organization_slug)
        return sign_out_refused(request, NOT_SIGNED)
    response = allauth_view("sls")(request, organization_slug=organization_slug)
    if response.status_code == 400:
        reason = response.content[:200].decode(errors="replace")
        logger.warning("single logout refused (%s) at %s", reason, organization_slug)
        return sign_out_refused(request, NOT_CHECKED)
    return response


single_logout.login_not_required = True


def allauth_view(name: str, *, posted_by_the_provider: bool = False):
    def view(request, *args, **kwargs):
        from allauth.socialaccount.providers.saml import (  # noqa: PLC0415 - python3-saml and xmlsec, loaded only for a SAML sign-in
            views,
        )

        try:
            return getattr(views, name)(request, *args, **kwargs)
        except PermissionDenied:
            # allauth finds no sign-in of ours that the response's InResponseTo names.
            logger.warning(
                "single sign-on refused (SAML response answers no request of this session) at %s",
                kwargs.get("organization_slug"),
            )
            return refused_page(request, "your university", NOT_OURS)

    view.login_not_required = True
    # The provider's browser post to the ACS carries no token of ours (as in allauth).
    return csrf_exempt(view) if posted_by_the_provider else view
