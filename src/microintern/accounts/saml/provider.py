from allauth.socialaccount.providers.saml.provider import SAMLProvider

AUTHN_CONTEXTS = "microintern:authn_contexts"


class UniversitySAMLProvider(SAMLProvider):
    """allauth's SAML provider (same id, same URLs); its extra data also holds the
    assertion's AuthnContextClassRef values under AUTHN_CONTEXTS."""

    def extract_extra_data(self, data):
        return {**data.get_attributes(), AUTHN_CONTEXTS: list(data.get_last_authn_contexts())}


provider_classes = [UniversitySAMLProvider]
