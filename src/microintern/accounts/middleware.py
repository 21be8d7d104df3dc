"""The sign-in page's buttons post to this site, which sends the browser on to the identity
provider: the Content Security Policy's form-action must allow that provider's origin too,
or the browser stops at the redirect."""

from urllib.parse import urlsplit

from django.conf import settings


def sign_on_origins() -> list[str]:
    """The origins (scheme://host[:port]) of the configured providers' sign-in pages."""
    providers = settings.SOCIALACCOUNT_PROVIDERS
    addresses = [
        app["settings"]["server_url"] for app in providers.get("openid_connect", {}).get("APPS", [])
    ] + [app["settings"]["idp"]["sso_url"] for app in providers.get("saml", {}).get("APPS", [])]
    origins = []
    for address in addresses:
        parts = urlsplit(address)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return origins


class SignOnFormActionMiddleware:
    """Add the providers' origins to form-action in the Content Security Policy (set by
    core's SecurityHeadersMiddleware, which runs inside this one); nothing else changes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origins = sign_on_origins()
        policy = response.headers.get("Content-Security-Policy", "")
        if origins and "form-action 'self'" in policy:
            response.headers["Content-Security-Policy"] = policy.replace(
                "form-action 'self'", "form-action 'self' " + " ".join(origins), 1
            )
        return response
