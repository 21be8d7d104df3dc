"""Sign-in mail, tried as an attacker and a tester would: no mail to addresses without an
account (and no way to tell them apart, even while the mail server is down), the site's
own name in the code email, a mail server that never answers costs the person nothing,
codes that nobody on the staff side can read, and no code sent after it stopped working."""

import re
import socket
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib import admin
from django.core import mail
from django.test import Client
from django.urls import reverse

from microintern.mail.enums import MessageState
from microintern.mail.models import OutboundMessage
from microintern.mail.outbox import deliver, retry_failed
from tests import smtp_sink as sink
from tests.accounts.factories import StudentFactory, UserFactory, sign_in
from tests.core.test_settings import python

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = pytest.mark.django_db

REQUEST_CODE = "/accounts/login/code/"
UNKNOWN = "nobody-here@example.org"
CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}\r?$", re.M)
ASKED_AT = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def send_after_commit(django_capture_on_commit_callbacks):
    """Deliveries queued by a request run when this block ends, as the worker would run
    them after the request's transaction commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def request_code(email: str, client: Client | None = None):
    return (client or Client()).post(REQUEST_CODE, {"email": email}, follow=True)


def same_page_for_anyone(response, email: str) -> str:
    """The page with what differs by visit (the address typed, CSRF tokens) taken out."""
    page = response.content.decode().replace(email, "ADDRESS")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", page)


def the_code(message) -> str:
    return CODE.search(message.body).group(0).strip()


# Unknown addresses: no mail, and the same page as for a known one.


def test_a_code_request_for_an_address_without_an_account_sends_no_mail(send_after_commit):
    with send_after_commit():
        response = request_code(UNKNOWN)
    assert response.status_code == 200
    assert mail.outbox == []
    assert not OutboundMessage.objects.exists()


def test_a_password_reset_for_an_address_without_an_account_sends_no_mail(
    client, send_after_commit
):
    with send_after_commit():
        response = client.post("/accounts/password/reset/", {"email": UNKNOWN}, follow=True)
    assert response.status_code == 200
    assert mail.outbox == []
    assert not OutboundMessage.objects.exists()


def test_known_and_unknown_addresses_get_the_same_answer(send_after_commit):
    student = StudentFactory(with_user=True)
    with send_after_commit():
        known, unknown = request_code(student.email), request_code(UNKNOWN)
    assert [m.to for m in mail.outbox] == [[student.email]]  # only the real student got mail
    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert same_page_for_anyone(known, student.email) == same_page_for_anyone(unknown, UNKNOWN)


# The code email is ours: the site's name, plain English, no host name.


@pytest.fixture
def site_name(settings):
    settings.MICROINTERN = {**settings.MICROINTERN, "SITE_NAME": "Riverside Business Clinic"}
    return "Riverside Business Clinic"


def test_the_code_email_is_branded_with_the_site_name(site_name, send_after_commit):
    student = StudentFactory(with_user=True)
    with time_machine.travel(ASKED_AT, tick=False), send_after_commit():
        request_code(student.email, Client(HTTP_HOST="127.0.0.1"))
    [message] = mail.outbox
    assert message.subject == f"Your sign-in code for {site_name}"
    assert site_name in message.body
    assert the_code(message)  # the code, on a line of its own
    assert "It works once, until 09:15 (15 minutes after you asked for it)." in message.body
    for host_name in ("127.0.0.1", "testserver", "example.com", "[", "Hello from"):
        assert host_name not in message.subject
        assert host_name not in message.body.replace(student.email, "")


def test_the_password_reset_email_is_branded_too(client, site_name, send_after_commit):
    staff = UserFactory(role="staff")
    with send_after_commit():
        client.post("/accounts/password/reset/", {"email": staff.email})
    [message] = mail.outbox
    assert site_name in message.subject
    assert "[" not in message.subject and "testserver" not in message.subject
    assert "Hello from" not in message.body and site_name in message.body


# A mail server that never answers: the request does not wait for it, the outbox retries.


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


def test_a_silent_mail_server_does_not_hold_up_the_code_request(silent_smtp, send_after_commit):
    student = StudentFactory(with_user=True)
    client = Client(raise_request_exception=False)
    with send_after_commit():
        response = client.post(REQUEST_CODE, {"email": student.email}, follow=True)
        assert silent_smtp == [], "the request itself never talked to the mail server"
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/accounts/login/code/confirm/"
    # The worker tried, met the silence, and will try again later.
    assert silent_smtp, "the worker did reach the mail server"
    [message] = OutboundMessage.objects.all()
    assert message.state == MessageState.QUEUED
    assert message.attempts == 1
    assert "timed out" in message.last_error
    assert message.next_attempt_at > message.queued_at


def test_during_an_outage_known_and_unknown_addresses_get_the_same_page(
    silent_smtp, send_after_commit
):
    student = StudentFactory(with_user=True)
    with send_after_commit():
        known = request_code(student.email, Client(raise_request_exception=False))
        unknown = request_code(UNKNOWN, Client(raise_request_exception=False))
    assert silent_smtp, "the worker did try the silent server"
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert same_page_for_anyone(known, student.email) == same_page_for_anyone(unknown, UNKNOWN)


def test_a_password_reset_during_an_outage_is_the_same_for_known_and_unknown(silent_smtp):
    staff = UserFactory(role="staff")
    reset = "/accounts/password/reset/"
    known = Client(raise_request_exception=False).post(reset, {"email": staff.email}, follow=True)
    unknown = Client(raise_request_exception=False).post(reset, {"email": UNKNOWN}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert (
        known.redirect_chain == unknown.redirect_chain == [("/accounts/password/reset/done/", 302)]
    )
    assert same_page_for_anyone(known, staff.email) == same_page_for_anyone(unknown, UNKNOWN)


def test_the_smtp_timeout_is_short_by_default_and_configurable(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.EMAIL_TIMEOUT)"
    default = python(code, cwd=tmp_path, env={})
    chosen = python(code, cwd=tmp_path, env={"EMAIL_TIMEOUT_SECONDS": "4"})
    assert default.stdout.strip() == "10.0", default.stderr
    assert chosen.stdout.strip() == "4.0", chosen.stderr


def test_a_code_refused_for_now_arrives_on_the_retry(smtp_sink, send_after_commit):
    student = StudentFactory(with_user=True)
    smtp_sink.refuse[student.email] = (451, "Try again later")
    browser = Client()
    with time_machine.travel(ASKED_AT, tick=False):
        with send_after_commit():
            request_code(student.email, browser)
        [message] = OutboundMessage.objects.all()
        assert message.state == MessageState.QUEUED and "451" in message.last_error
    del smtp_sink.refuse[student.email]
    with time_machine.travel(ASKED_AT + timedelta(minutes=2), tick=False):
        assert deliver(message.pk) == MessageState.SENT
        [received] = smtp_sink.to(student.email)
        response = browser.post(
            "/accounts/login/code/confirm/", {"code": the_code(received)}, follow=True
        )
    assert response.wsgi_request.user == student.user  # the late code still signs in


# Codes expire: a code held up past its validity is never sent late.


def test_a_code_held_up_past_its_validity_is_not_sent_and_says_why(smtp_sink, send_after_commit):
    student = StudentFactory(with_user=True)
    smtp_sink.refuse[student.email] = (451, "Try again later")
    with time_machine.travel(ASKED_AT, tick=False), send_after_commit():
        request_code(student.email)
    del smtp_sink.refuse[student.email]
    [message] = OutboundMessage.objects.all()
    with time_machine.travel(ASKED_AT + timedelta(minutes=15), tick=False):
        assert deliver(message.pk) == MessageState.FAILED
    message.refresh_from_db()
    assert smtp_sink.to(student.email) == []
    assert "expired before it could be sent, so it was not sent late" in message.last_error
    # Staff trying it again by hand cannot send it late either.
    with time_machine.travel(ASKED_AT + timedelta(hours=1), tick=False):
        assert retry_failed(message, actor=None)
        assert deliver(message.pk) == MessageState.FAILED
    assert smtp_sink.to(student.email) == []


def test_a_code_sent_just_before_it_expires_still_goes(smtp_sink):
    student = StudentFactory(with_user=True)
    with time_machine.travel(ASKED_AT, tick=False):
        request_code(student.email)
    [message] = OutboundMessage.objects.all()
    with time_machine.travel(ASKED_AT + timedelta(minutes=14, seconds=59), tick=False):
        assert deliver(message.pk) == MessageState.SENT
    assert len(smtp_sink.to(student.email)) == 1


# Nobody on the staff side can read a code.


def staff_side_pages(message) -> list[str]:
    """Every outbox page and every admin page (each list, and each record's page) a
    superuser can open, with the sign-in email in the outbox."""
    pages = [
        reverse("staff:outbox"),
        f"{reverse('staff:outbox')}?role={message.role}",
        f"{reverse('staff:outbox')}?to={message.to}",
        reverse("staff:outbox_message", args=[message.pk]),
        "/admin/",
    ]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        pages += [changelist, f"{changelist}?q={message.to}"]
        for pk in model_admin.get_queryset(None).values_list("pk", flat=True)[:20]:
            pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk]))
    return pages


def test_staff_never_see_a_sign_in_code_in_the_outbox_or_the_admin(client, make_user):
    student = StudentFactory(with_user=True)
    request_code(student.email)
    [message] = OutboundMessage.objects.all()
    deliver(message.pk)
    [sent] = mail.outbox
    code = the_code(sent)
    administrator = make_user("administrator", is_staff=True, is_superuser=True)
    sign_in(client, administrator)
    pages = staff_side_pages(message)
    assert len(pages) > 10
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for form in (code, code.replace("-", "")):
            assert form not in page, f"{url} shows the sign-in code"
    detail = client.get(reverse("staff:outbox_message", args=[message.pk])).content.decode()
    assert "sign-in email — hidden" in detail
    assert sent.subject in detail  # staff still see that it was sent, to whom and when
    # Not in readable form in the database either.
    stored = OutboundMessage.objects.get(pk=message.pk)
    assert code not in stored.body and code.replace("-", "") not in stored.body


def test_staff_never_see_a_password_link_either(client, make_user, send_after_commit):
    staff = UserFactory(role="staff")
    with send_after_commit():
        Client().post("/accounts/password/reset/", {"email": staff.email})
    [sent] = mail.outbox
    link = re.search(r"http\S+/password/reset/key/\S+", sent.body).group(0)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    sign_in(client, make_user("staff"))
    [message] = OutboundMessage.objects.all()
    for url in (reverse("staff:outbox"), reverse("staff:outbox_message", args=[message.pk])):
        assert token not in client.get(url).content.decode()
    assert token not in OutboundMessage.objects.get().body
