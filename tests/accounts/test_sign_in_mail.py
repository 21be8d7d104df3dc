"""Sign-in mail, tried as an attacker and a tester would: no mail to addresses without an
account (and no way to tell them apart), and the site's own name in the emails."""

import re

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.factories import StudentFactory, UserFactory

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


# The code email is ours: the site's name, plain English, no host name.


@pytest.fixture
def site_name(settings):
    settings.MICROINTERN = {**settings.MICROINTERN, "SITE_NAME": "Riverside Business Clinic"}
    return "Riverside Business Clinic"


def test_the_code_email_is_branded_with_the_site_name(site_name):
    student = StudentFactory(with_user=True)
    request_code(student.email, Client(HTTP_HOST="127.0.0.1"))
    [message] = mail.outbox
    assert message.subject == f"Your sign-in code for {site_name}"
    assert site_name in message.body
    assert re.search(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$", message.body, re.M)  # the code, on its own
    for host_name in ("127.0.0.1", "testserver", "example.com", "[", "Hello from"):
        assert host_name not in message.subject
        assert host_name not in message.body.replace(student.email, "")


def test_the_password_reset_email_is_branded_too(client, site_name):
    staff = UserFactory(role="staff")
    client.post("/accounts/password/reset/", {"email": staff.email})
    [message] = mail.outbox
    assert site_name in message.subject
    assert "[" not in message.subject and "testserver" not in message.subject
    assert "Hello from" not in message.body and site_name in message.body
