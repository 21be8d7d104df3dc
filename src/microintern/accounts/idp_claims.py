"""What an identity provider said about a person, read from its claims (pure, no Django).

An OpenID Connect provider says it in its ID token and userinfo answer; what the site
needs from it is the address and whether the provider checked it, the person's groups, and
whether the sign-in used more than a password (amr / acr, RFC 8176), judged by the policy
configured for that provider.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class MFAPolicy:
    """The `amr` and `acr` values this provider uses for a sign-in with a second factor.
    Both empty: nothing the provider says counts, staff pass the site's own second factor."""

    amr: frozenset[str] = frozenset()
    acr: frozenset[str] = frozenset()

    @classmethod
    def of(cls, amr: Iterable[str] = (), acr: Iterable[str] = ()) -> "MFAPolicy":
        return cls(frozenset(amr), frozenset(acr))

    def is_met_by(self, amr: Iterable[str], acr: str) -> bool:
        """The provider asserted one of the configured methods or the configured class."""
        return bool(self.amr & set(amr)) or (bool(acr) and acr in self.acr)


@dataclass(frozen=True)
class Assertion:
    """One sign-in at a provider, as the site reads it."""

    provider_id: str
    subject: str
    email: str
    email_verified: bool
    full_name: str
    groups: tuple[str, ...]
    mfa_asserted: bool
    methods: tuple[str, ...]  # amr, or the SAML authentication context, for the log


def claimed_bool(value) -> bool:
    """`email_verified` as a provider sends it: true, or "true" (some send a string)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def claimed_list(value) -> tuple[str, ...]:
    """A claim that may be a list, a single string or missing, as a tuple of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value)


def oidc_assertion(
    provider_id: str,
    id_token: Mapping,
    userinfo: Mapping,
    *,
    groups_claim: str = "groups",
    policy: MFAPolicy = MFAPolicy(),
) -> Assertion:
    """Read an OpenID Connect sign-in. The ID token (checked by allauth: signature, issuer,
    audience, expiry) is the authority on how the person signed in (amr, acr); userinfo, when
    fetched, may add the address, the name and the groups."""
    claims = {**id_token, **userinfo}
    amr = claimed_list(id_token.get("amr"))
    acr = str(id_token.get("acr") or "")
    return Assertion(
        provider_id=provider_id,
        subject=str(claims.get("sub", "")),
        email=str(claims.get("email") or "").strip(),
        email_verified=claimed_bool(claims.get("email_verified")),
        full_name=str(claims.get("name") or "").strip(),
        groups=claimed_list(claims.get(groups_claim)),
        mfa_asserted=policy.is_met_by(amr, acr),
        methods=(*amr, *([acr] if acr else [])),
    )


def saml_assertion(
    provider_id: str,
    attributes: Mapping,
    authn_contexts: Iterable[str],
    *,
    email_attribute: str,
    groups_attribute: str,
    name_attribute: str = "",
    email_verified_attribute: str = "",
    policy: MFAPolicy = MFAPolicy(),
) -> Assertion:
    """Read a SAML 2.0 sign-in (its signature, audience, time window and InResponseTo checked
    by python3-saml and allauth). SAML has no standard "verified" flag: without
    `email_verified_attribute`, the address of a provider configured as trusted counts as
    checked by it (the university's directory gives it); with one, that attribute decides.
    A second factor is asserted by an AuthnContextClassRef the policy names (its `acr`)."""

    def first(name: str) -> str:
        values = claimed_list(attributes.get(name)) if name else ()
        return values[0].strip() if values else ""

    contexts = tuple(authn_contexts)
    verified = claimed_bool(first(email_verified_attribute)) if email_verified_attribute else True
    return Assertion(
        provider_id=provider_id,
        subject=first("urn:oasis:names:tc:SAML:attribute:subject-id"),
        email=first(email_attribute),
        email_verified=verified,
        full_name=first(name_attribute),
        groups=claimed_list(attributes.get(groups_attribute)),
        mfa_asserted=any(policy.is_met_by((), context) for context in contexts),
        methods=contexts,
    )
