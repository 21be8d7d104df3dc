"""The claims the test provider vouches for: each person's, as the config file lists them."""

from oauth2_provider.oauth2_validators import OAuth2Validator

from .settings import CONFIG


class ConfiguredClaims(OAuth2Validator):
    # Claims beyond the standard ones go with the openid scope, as Entra ID sends them.
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "groups": "openid",
        "amr": "openid",
        "acr": "openid",
        "aud": "openid",
    }

    def get_additional_claims(self, request):
        """email, email_verified, groups, amr, acr as configured for the person; a person
        configured with `id_token_audience` gets ID tokens made out to that other client
        (the token a confused or hostile provider would hand over)."""
        person = CONFIG["people"][request.user.username]
        claims = {key: value for key, value in person["claims"].items()}
        if person.get("id_token_audience"):
            claims["aud"] = person["id_token_audience"]
        return claims
