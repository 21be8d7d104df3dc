"""Sign-in mail, tried as an attacker and a tester would: no mail to addresses without an
account, and no way to tell them apart."""

import re

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.factories import StudentFactory

pytestmark = pytest.mark.django_db

REQUEST_CODE = "/accounts/login/code/"
UNKNOWN = "nobody-here@example.org"


def request_code(email: str, client: Client | None = None):
    return (client or Client()).post(REQUEST_CODE, {"email": email}, follow=True)


def same_page_for_anyone(response, email: str) -> str:
    """The page with what differs by visit (the address typed, CSRF tokens) taken out."""
    page = response.content.decode().replace(email, "ADDRESS")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", page)


# Unknown addresses: no mail, and the same page as for a known one.


def test_a_code_request_for_an_address_without_an_account_sends_no_mail():
    response = request_code(UNKNOWN)
    assert response.status_code == 200
    assert mail.outbox == []


def test_a_password_reset_for_an_address_without_an_account_sends_no_mail(client):
    response = client.post("/accounts/password/reset/", {"email": UNKNOWN}, follow=True)
    assert response.status_code == 200
    assert mail.outbox == []


def test_known_and_unknown_addresses_get_the_same_answer():
    student = StudentFactory(with_user=True)
    known, unknown = request_code(student.email), request_code(UNKNOWN)
    assert len(mail.outbox) == 1  # only the real student got mail
    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert same_page_for_anyone(known, student.email) == same_page_for_anyone(unknown, UNKNOWN)
