"""Administrators see who has an account and move staff between roles, with a reason, never
leaving the service without an administrator; nobody else can."""

import pytest
from django.urls import reverse

from microintern.accounts.enums import Role
from microintern.core.models import ActivityLog
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db


def set_role(client, user, role, reason="Joined the research team."):
    return client.post(
        reverse("staff:set_role", args=[user.pk]), {"role": role, "reason": reason}, follow=True
    ).content.decode()


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user("administrator")
    sign_in(client, admin)
    client.admin = admin
    return client


def test_an_administrator_moves_a_staff_member_to_researcher_with_a_reason(admin_client, make_user):
    colleague = make_user("staff")
    page = set_role(admin_client, colleague, "researcher")
    assert f"{colleague.email} is now “Researcher”." in page
    colleague.refresh_from_db()
    assert colleague.role == Role.RESEARCHER
    log = ActivityLog.objects.get(action="user.role_changed")
    assert log.data == {
        "from_role": "staff",
        "to_role": "researcher",
        "reason": "Joined the research team.",
    }
    assert log.actor == admin_client.admin


def test_the_people_page_lists_roles_and_who_has_no_second_factor_yet(admin_client, make_user):
    colleague = make_user("staff")
    colleague.authenticator_set.all().delete()
    page = admin_client.get(reverse("staff:people"), {"role": "staff"}).content.decode()
    assert colleague.email in page and "<strong>Not set up yet</strong>" in page
    assert admin_client.admin.email not in page  # filtered to staff


@pytest.mark.parametrize(
    ("who", "role", "reason", "why"),
    [
        ("student", "staff", "x", "Only staff, researcher and administrator accounts"),
        ("staff", "student", "x", "Please choose a role."),
        ("staff", "researcher", "  ", "Please give a reason"),
        ("staff", "staff", "x", "already has the role"),
    ],
)
def test_changes_the_rules_do_not_allow_change_nothing(
    admin_client, make_user, who, role, reason, why
):
    person = make_user(who)
    page = set_role(admin_client, person, role if role != "student" else "nonsense", reason)
    assert why in page and "Nothing was changed." in page
    person.refresh_from_db()
    assert person.role == who
    assert not ActivityLog.objects.filter(action="user.role_changed").exists()


def test_the_last_administrator_cannot_stop_being_one(admin_client):
    page = set_role(admin_client, admin_client.admin, "staff", "Stepping down.")
    assert "This is the last administrator: make someone else one first." in page
    admin_client.admin.refresh_from_db()
    assert admin_client.admin.role == Role.ADMINISTRATOR


def test_staff_cannot_change_roles_or_see_the_page(client, make_user):
    staff = make_user("staff")
    sign_in(client, staff)
    assert client.get(reverse("staff:people")).status_code == 403
    client.post(
        reverse("staff:set_role", args=[staff.pk]), {"role": "administrator", "reason": "x"}
    )
    staff.refresh_from_db()
    assert staff.role == Role.STAFF
