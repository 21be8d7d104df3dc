"""Sign-in mail, tried as an attacker and a tester would: no mail to addresses without an
account (and no way to tell them apart), the site's own name in the code email, and an
SMTP server that never answers costs a short wait and a clear page, never a 500."""

import re
import socket
import threading
import time

import pytest
from django.core import mail
from django.test import Client

from tests import smtp_sink as sink
from tests.accounts.factories import StudentFactory, UserFactory
from tests.core.test_settings import python

smtp_sink = sink.smtp_sink  # the fixture

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


# A silent SMTP server: a short wait and a clear page.


@pytest.fixture
def silent_smtp(settings):
    """A real server on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held, stop = [], threading.Event()

    def accept_and_sleep():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_and_sleep, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.getsockname()[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 1
    yield held
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_a_silent_smtp_server_gives_a_clear_page_in_seconds_not_a_500(silent_smtp):
    student = StudentFactory(with_user=True)
    client = Client(raise_request_exception=False)
    started = time.monotonic()
    response = client.post(REQUEST_CODE, {"email": student.email})
    assert time.monotonic() - started < 5
    assert silent_smtp, "the request did reach the SMTP server"
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "We could not send the code just now" in page
    assert "try again in a minute" in page
    assert "A sign-in code has been sent" not in page
    # Nothing half-done: asking for the code page directly starts again.
    assert client.get("/accounts/login/code/confirm/").status_code == 302


def test_the_smtp_timeout_is_short_by_default_and_configurable(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.EMAIL_TIMEOUT)"
    default = python(code, cwd=tmp_path, env={})
    chosen = python(code, cwd=tmp_path, env={"EMAIL_TIMEOUT_SECONDS": "4"})
    assert default.stdout.strip() == "10.0", default.stderr
    assert chosen.stdout.strip() == "4.0", chosen.stderr


def test_a_silent_smtp_server_during_a_password_reset_gives_the_same_clear_page(silent_smtp):
    staff = UserFactory(role="staff")
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/password/reset/", {"email": staff.email})
    assert response.status_code == 503
    assert "We could not send the email just now" in response.content.decode()


def test_an_smtp_server_that_refuses_for_now_gives_the_clear_page(smtp_sink):
    student = StudentFactory(with_user=True)
    smtp_sink.refuse[student.email] = (451, "Try again later")
    response = Client(raise_request_exception=False).post(REQUEST_CODE, {"email": student.email})
    assert response.status_code == 503
    assert "We could not send the code just now" in response.content.decode()
