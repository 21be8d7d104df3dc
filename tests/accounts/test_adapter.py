"""Signing in: emailed codes for students and hosts, password + TOTP for staff."""

import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail

from tests.accounts.factories import TOTP_SECRET, StudentFactory, UserFactory

pytestmark = pytest.mark.django_db


def current_totp() -> str:
    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // mfa_settings.TOTP_PERIOD))


def test_student_signs_in_with_an_emailed_code_and_lands_on_their_page(
    client, django_capture_on_commit_callbacks
):
    student = StudentFactory(with_user=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/code/", {"email": student.email}, follow=True)
    assert response.status_code == 200
    assert mail.outbox[-1].to == [student.email]
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.M).group(1)
    response = client.post("/accounts/login/code/confirm/", {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == "/my/"
    assert "My micro-internships" in response.content.decode()


def test_a_wrong_code_does_not_sign_in(client):
    student = StudentFactory(with_user=True)
    client.post("/accounts/login/code/", {"email": student.email})
    response = client.post("/accounts/login/code/confirm/", {"code": "ZZZZZZ"})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_students_have_no_password_to_remember():
    student = StudentFactory(with_user=True)
    student.user.set_unusable_password()
    assert not student.user.has_usable_password()


def test_staff_need_password_then_authenticator_code(client, make_user):
    staff = make_user("staff", email="coordinator@example.ac.uk")
    response = client.post(
        "/accounts/login/",
        {"login": staff.email, "password": "correct horse battery"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/2fa/authenticate/", {"code": current_totp()}, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/"
    assert "Micro-internships" in response.content.decode()


def test_staff_without_an_authenticator_must_set_one_up_first(client):
    staff = UserFactory(role="staff")
    client.force_login(staff)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/totp/activate/"


def test_nobody_can_sign_up_on_their_own(client):
    response = client.post(
        "/accounts/signup/", {"email": "stranger@example.com", "password1": "x" * 12}
    )
    assert response.status_code in (200, 302)
    from microintern.accounts.models import User

    assert not User.objects.filter(email="stranger@example.com").exists()
