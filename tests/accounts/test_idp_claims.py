"""Reading a provider's claims (the pure core): addresses, groups, and the MFA policy."""

from microintern.accounts.idp_claims import (
    MFAPolicy,
    claimed_bool,
    claimed_list,
    oidc_assertion,
    saml_assertion,
)


def test_email_verified_is_true_only_when_the_provider_says_so():
    assert claimed_bool(True) and claimed_bool("true") and claimed_bool(" TRUE ")
    assert not any(claimed_bool(value) for value in (False, "false", None, 1, "yes", ""))


def test_a_claim_may_be_one_string_a_list_or_missing():
    assert claimed_list("staff") == ("staff",)
    assert claimed_list(["a", 2]) == ("a", "2")
    assert claimed_list(None) == ()


def test_the_id_token_decides_how_the_person_signed_in_userinfo_cannot_add_mfa():
    policy = MFAPolicy.of(amr=["mfa"])
    assertion = oidc_assertion(
        "uni",
        {"sub": "1", "email": "a@example.ac.uk", "amr": ["pwd"]},
        {"email_verified": "true", "amr": ["mfa"], "groups": "staff", "name": " Ada "},
        policy=policy,
    )
    assert not assertion.mfa_asserted
    assert assertion.email_verified and assertion.groups == ("staff",)
    assert assertion.full_name == "Ada" and assertion.methods == ("pwd",)


def test_an_empty_policy_trusts_no_claim_of_a_second_factor():
    assertion = oidc_assertion("uni", {"amr": ["mfa", "otp"], "acr": "mfa"}, {})
    assert not assertion.mfa_asserted


def test_an_acr_value_counts_when_the_policy_names_it():
    policy = MFAPolicy.of(acr=["http://schemas.microsoft.com/claims/multipleauthn"])
    assertion = oidc_assertion(
        "uni", {"acr": "http://schemas.microsoft.com/claims/multipleauthn"}, {}, policy=policy
    )
    assert assertion.mfa_asserted
    assert not policy.is_met_by([], "")


def test_groups_may_come_in_a_claim_of_another_name():
    assertion = oidc_assertion("uni", {"roles": ["BC.Staff"]}, {}, groups_claim="roles")
    assert assertion.groups == ("BC.Staff",)


MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
ENTITLEMENT = "urn:oid:1.3.6.1.4.1.5923.1.1.1.7"


def test_a_saml_sign_in_reads_the_configured_attributes_and_its_authn_context():
    policy = MFAPolicy.of(acr=["https://refeds.org/profile/mfa"])
    assertion = saml_assertion(
        "shib",
        {MAIL: [" ada@example.ac.uk "], ENTITLEMENT: ["bc-staff", "x"], "name": ["Ada"]},
        ["https://refeds.org/profile/mfa"],
        email_attribute=MAIL,
        groups_attribute=ENTITLEMENT,
        name_attribute="name",
        policy=policy,
    )
    assert assertion.email == "ada@example.ac.uk" and assertion.email_verified
    assert assertion.groups == ("bc-staff", "x") and assertion.full_name == "Ada"
    assert assertion.mfa_asserted


def test_a_saml_verified_attribute_when_configured_decides_and_a_password_context_is_no_mfa():
    assertion = saml_assertion(
        "shib",
        {MAIL: ["ada@example.ac.uk"], "verified": ["false"]},
        ["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"],
        email_attribute=MAIL,
        groups_attribute=ENTITLEMENT,
        email_verified_attribute="verified",
        policy=MFAPolicy.of(acr=["https://refeds.org/profile/mfa"]),
    )
    assert not assertion.email_verified and not assertion.mfa_asserted
    assert assertion.groups == () and assertion.full_name == ""
