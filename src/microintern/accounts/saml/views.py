"""allauth's SAML views, loaded on their first request (python3-saml, lxml and xmlsec stay
out of every process that never sees a SAML sign-in), and a clear refusal for a response
that answers no sign-in this browser started: a replayed or unsolicited assertion."""

import logging

from django.core.exceptions import PermissionDenied
from django.views.decorators.csrf import csrf_exempt

from microintern.accounts.sso_adapter import refused_page

logger = logging.getLogger("microintern.accounts.sso")

NOT_OURS = (
    "This sign-in answer from your university does not belong to a sign-in started here in "
    "this browser (it may have been used already), so we did not sign you in. Nothing was "
    "changed. Please press the sign-in button again."
)


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
    # The provider's browser post to the ACS and SLS carries no token of ours (as in allauth).
    return csrf_exempt(view) if posted_by_the_provider else view
