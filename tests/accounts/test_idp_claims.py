"""Reading a provider's claims (the pure core): addresses, groups, and the MFA policy."""

from microintern.accounts.idp_claims import MFAPolicy, claimed_bool, claimed_list, oidc_assertion


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
