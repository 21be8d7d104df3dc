"""The rules of `accounts.single_sign_on` on assertions made here (the end-to-end tests
through a real provider are in test_single_sign_on.py): who is refused, who is made, which
role the groups give, and the administrators' rules."""

import logging
from dataclasses import replace
from importlib import import_module

import pytest
from django.apps import apps

from microintern.accounts.domain import change_role
from microintern.accounts.enums import Role
from microintern.accounts.idp_claims import Assertion
from microintern.accounts.models import IdentityProviderGroupRole, User
from microintern.accounts.single_sign_on import (
    GroupRoleRefused,
    SingleSignOnRefused,
    apply_group_roles,
    remove_group_role,
    set_group_role,
    sign_in_with,
)
from microintern.core.models import ActivityLog
from tests.accounts.factories import UserFactory

remember_roles_given_by_providers = import_module(
    "microintern.accounts.migrations.0004_user_role_from_provider"
).remember_roles_given_by_providers

pytestmark = pytest.mark.django_db

ADA = Assertion(
    provider_id="uni",
    subject="1",
    email="Ada.Lovelace+tag@Example.ac.uk",
    email_verified=True,
    full_name="Ada Lovelace",
    groups=("bc-staff", "everyone"),
    mfa_asserted=False,
    methods=("pwd",),
)


def sign_in(assertion=ADA, trusted=True, domains=("example.ac.uk",)):
    return sign_in_with(
        assertion, provider_name="Uni", trusted=trusted, email_domains=list(domains)
    )


def rule(group="bc-staff", role=Role.STAFF, provider_id="uni"):
    return IdentityProviderGroupRole.objects.create(provider_id=provider_id, group=group, role=role)


def test_a_first_sign_in_makes_a_student_with_the_address_spelt_as_the_site_spells_it():
    outcome = sign_in()
    assert outcome.created and outcome.user.email == "ada.lovelace@example.ac.uk"
    assert outcome.user.role == Role.STUDENT and outcome.user.full_name == "Ada Lovelace"
    assert outcome.unmapped_groups == ("bc-staff", "everyone")
    assert sign_in().user == outcome.user and not sign_in().created


@pytest.mark.parametrize(
    ("change", "trusted", "words"),
    [
        ({}, False, "not set up to vouch"),
        ({"email": ""}, True, "did not tell us your email address"),
        ({"email_verified": False}, True, "did not confirm"),
        ({"email": "ada@gmail.com"}, True, "only addresses ending in @example.ac.uk"),
        ({"email": "ada@mail.example.ac.uk"}, True, "only addresses ending in"),
    ],
)
def test_refusals_say_why_are_logged_and_make_nothing(change, trusted, words, caplog):
    with (
        caplog.at_level(logging.WARNING, logger="microintern.accounts.sso"),
        pytest.raises(SingleSignOnRefused, match=words),
    ):
        sign_in(replace(ADA, **change), trusted=trusted)
    assert "single sign-on refused" in caplog.text
    assert not User.objects.exists()


def test_the_highest_mapped_role_wins_and_is_logged():
    rule("bc-staff", Role.STAFF)
    rule("everyone", Role.RESEARCHER)
    rule("bc-staff", Role.ADMINISTRATOR, provider_id="other")  # another provider's rule
    outcome = sign_in()
    assert outcome.role_given == Role.STAFF and outcome.user.role == Role.STAFF
    log = ActivityLog.objects.get(action="user.role_from_sign_on")
    assert log.data["from_role"] == "student" and log.data["provider"] == "uni"


def test_no_matching_rule_leaves_an_administrators_choice_alone():
    researcher = UserFactory(email="ada.lovelace@example.ac.uk", role=Role.RESEARCHER)
    outcome = sign_in()
    assert outcome.role_given is None
    researcher.refresh_from_db()
    assert researcher.role == Role.RESEARCHER


def test_groups_never_move_the_last_administrator():
    admin = UserFactory(email="ada.lovelace@example.ac.uk", role=Role.ADMINISTRATOR)
    rule("bc-staff", Role.STAFF)
    assert apply_group_roles(admin, ADA)[0] is None
    admin.refresh_from_db()
    assert admin.role == Role.ADMINISTRATOR
    UserFactory(role=Role.ADMINISTRATOR)
    assert apply_group_roles(admin, ADA)[0] == Role.STAFF


def test_a_rule_needs_a_provider_a_group_a_staff_side_role_and_a_reason():
    admin = UserFactory(role=Role.ADMINISTRATOR)
    with pytest.raises(GroupRoleRefused, match="both the provider and the group"):
        set_group_role("uni", " ", Role.STAFF, actor=admin, reason="x")
    with pytest.raises(GroupRoleRefused, match="only staff, researcher or administrator"):
        set_group_role("uni", "g", Role.STUDENT, actor=admin, reason="x")
    with pytest.raises(GroupRoleRefused, match="Please give a reason"):
        set_group_role("uni", "g", Role.STAFF, actor=admin, reason=" ")
    assert not IdentityProviderGroupRole.objects.exists()


def test_rules_are_set_replaced_and_removed_with_their_reasons_logged():
    admin = UserFactory(role=Role.ADMINISTRATOR)
    first = set_group_role(" uni ", " g ", Role.STAFF, actor=admin, reason="Team")
    second = set_group_role("uni", "g", Role.RESEARCHER, actor=admin, reason="Moved")
    assert first.pk == second.pk and (second.provider_id, second.group) == ("uni", "g")
    with pytest.raises(GroupRoleRefused):
        remove_group_role(second.pk, actor=admin, reason="")
    remove_group_role(second.pk, actor=admin, reason="Gone")
    assert not IdentityProviderGroupRole.objects.exists()
    actions = list(ActivityLog.objects.order_by("pk").values_list("action", "data__reason"))
    assert actions == [
        ("sign_on_rule.set", "Team"),
        ("sign_on_rule.set", "Moved"),
        ("sign_on_rule.removed", "Gone"),
    ]


def test_a_leaver_loses_the_role_their_groups_gave_at_the_next_sign_in():
    rule("bc-staff", Role.STAFF)
    assert sign_in().user.role_from_provider == "uni"
    left = sign_in(replace(ADA, groups=("everyone",)))
    assert left.user.role == Role.STUDENT and left.role_taken_back == Role.STAFF
    assert left.user.role_from_provider == ""
    # A later sign-in with the group back gives it again.
    assert sign_in().user.role == Role.STAFF


def test_another_providers_sign_in_does_not_take_back_a_role_it_did_not_give():
    rule("bc-staff", Role.STAFF)
    sign_in()
    other = sign_in(replace(ADA, provider_id="library", groups=()))
    assert other.user.role == Role.STAFF and other.role_taken_back is None


def test_a_role_an_administrator_set_is_not_taken_back_by_groups():
    rule("bc-staff", Role.STAFF)
    user = sign_in().user
    admin = UserFactory(role=Role.ADMINISTRATOR)
    change_role(user, Role.RESEARCHER, actor=admin, reason="Joined the evaluation.")
    kept = sign_in(replace(ADA, groups=("everyone",)))
    assert kept.user.role == Role.RESEARCHER and kept.role_taken_back is None


def test_the_last_administrator_is_not_taken_back_by_groups():
    rule("bc-admins", Role.ADMINISTRATOR)
    assert sign_in(replace(ADA, groups=("bc-admins",))).user.role == Role.ADMINISTRATOR
    kept = sign_in(replace(ADA, groups=()))
    assert kept.user.role == Role.ADMINISTRATOR and kept.role_taken_back is None


def test_roles_given_by_groups_before_the_upgrade_are_remembered():
    rule("bc-staff", Role.STAFF)
    given = sign_in().user
    by_hand = UserFactory(role=Role.STAFF)
    User.objects.update(role_from_provider="")
    remember_roles_given_by_providers(apps, None)
    given.refresh_from_db()
    by_hand.refresh_from_db()
    assert (given.role_from_provider, by_hand.role_from_provider) == ("uni", "")
