"""Administrators say which university sign-in group gives which role, on a page of the
back office, each change with a reason in the activity log; nobody else can."""

import pytest
from django.urls import reverse

from microintern.accounts.enums import Role
from microintern.accounts.models import IdentityProviderGroupRole, User
from microintern.core.models import ActivityLog
from tests.accounts.factories import sign_in
from tests.accounts.oidc_provider import PROVIDER_ID, sign_in_through

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("university_sso")]
RULES = reverse("staff:sign_on_rules")


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user("administrator")
    sign_in(client, admin)
    client.admin = admin
    return client


def add_rule(client, group="bc-staff", role=Role.STAFF, reason="The Business Clinic team."):
    return client.post(
        RULES, {"provider_id": PROVIDER_ID, "group": group, "role": role, "reason": reason}
    )


@pytest.mark.real_clock  # the provider dates its tokens by the machine's clock
def test_an_administrator_adds_a_rule_and_the_next_sign_in_uses_it(admin_client, client):
    response = add_rule(admin_client)
    assert response.status_code == 302
    page = admin_client.get(RULES).content.decode()
    assert "bc-staff" in page and "Business Clinic staff" in page
    log = ActivityLog.objects.get(action="sign_on_rule.set")
    assert log.actor == admin_client.admin
    assert log.data["reason"] == "The Business Clinic team." and log.data["to_role"] == "staff"

    admin_client.post("/accounts/logout/")
    sign_in_through(admin_client, "ada")
    assert User.objects.get(email="ada.lovelace@example.ac.uk").role == Role.STAFF


def test_a_second_rule_for_the_group_replaces_the_first_and_says_what_it_was(admin_client):
    add_rule(admin_client)
    add_rule(admin_client, role=Role.RESEARCHER, reason="They only analyse.")
    rule = IdentityProviderGroupRole.objects.get()
    assert rule.role == Role.RESEARCHER
    last = ActivityLog.objects.filter(action="sign_on_rule.set").order_by("pk").last()
    assert last.data["from_role"] == "staff" and last.data["to_role"] == "researcher"


def test_without_a_reason_nothing_is_saved_and_the_typing_is_kept(admin_client):
    response = add_rule(admin_client, group="bc-managers", reason="")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please give a reason" in page and 'value="bc-managers"' in page
    assert not IdentityProviderGroupRole.objects.exists()


def test_a_group_cannot_give_the_student_or_host_role(admin_client):
    response = add_rule(admin_client, role=Role.HOST)
    assert "Select a valid choice" in response.content.decode()
    assert not IdentityProviderGroupRole.objects.exists()


def test_removing_a_rule_needs_a_reason_and_is_logged(admin_client):
    add_rule(admin_client)
    rule = IdentityProviderGroupRole.objects.get()
    remove = reverse("staff:remove_sign_on_rule", args=[rule.pk])

    page = admin_client.post(remove, {"reason": ""}, follow=True).content.decode()
    assert "Please give a reason" in page and "Nothing was changed" in page
    assert IdentityProviderGroupRole.objects.exists()

    admin_client.post(remove, {"reason": "Team renamed."})
    assert not IdentityProviderGroupRole.objects.exists()
    log = ActivityLog.objects.get(action="sign_on_rule.removed")
    assert log.data == {
        "provider": PROVIDER_ID,
        "group": "bc-staff",
        "from_role": "staff",
        "reason": "Team renamed.",
    }


def test_staff_who_are_not_administrators_cannot_see_or_change_the_rules(client, make_user):
    sign_in(client, make_user("staff"))
    assert client.get(RULES).status_code == 403
    assert add_rule(client).status_code == 403
    assert not IdentityProviderGroupRole.objects.exists()
