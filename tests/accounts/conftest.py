"""Fixtures of the accounts tests: the locally run OpenID Connect provider."""

from tests.accounts.oidc_provider import oidc_provider, university_sso  # noqa: F401 - fixtures
from tests.accounts.saml_provider import saml_provider, university_saml  # noqa: F401 - fixtures
