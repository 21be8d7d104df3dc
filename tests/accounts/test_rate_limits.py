"""Rate limits stop attackers, not users, tried as an attacker would.

Wrong passwords and authenticator codes slow the next attempt from where they came
(doubling waits), never lock the account: the real person, elsewhere, signs in at once.
Code and password-link requests are limited per address, per email address from one
address, and per email address. X-Forwarded-For counts only behind a configured proxy.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, RequestFactory

from microintern.accounts.ratelimits import client_address, remember_address, wait_after
from tests.accounts.factories import UserFactory, with_totp
from tests.accounts.test_second_factor import PASSWORD, current_totp

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
CODE_STEP = "/accounts/2fa/authenticate/"
REQUEST_CODE = "/accounts/login/code/"
CONFIRM_CODE = "/accounts/login/code/confirm/"
RESET = "/accounts/password/reset/"
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAIT = "Too many wrong attempts. Please wait"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff(db):
    return with_totp(UserFactory(role="staff", email="sam.staff@example.ac.uk"))


def try_password(client, email, password, address, **headers):
    return client.post(
        LOGIN, {"login": email, "password": password}, REMOTE_ADDR=address, headers=headers
    )


def delayed(answer) -> bool:
    return answer.status_code == 200 and WAIT in answer.content.decode()


def checked_and_refused(answer) -> bool:
    """The password was checked and found wrong: the form again, with an error, no wait."""
    text = answer.content.decode()
    return answer.status_code == 200 and "error-summary" in text and not delayed(answer)


def reached_code_step(answer) -> bool:
    return answer.status_code == 302 and answer["Location"] == CODE_STEP


def sign_in_fully(address: str, user) -> Client:
    client = Client()
    assert reached_code_step(try_password(client, user.email, PASSWORD, address))
    answer = client.post(CODE_STEP, {"code": current_totp()}, REMOTE_ADDR=address)
    assert answer.status_code == 302, answer.content.decode()[:500]
    assert client.get("/staff/", REMOTE_ADDR=address).status_code == 200
    return client


def test_wrong_passwords_slow_the_attacker_and_never_lock_the_owner_out(clock, staff):
    attacker = Client()
    for _ in range(3):
        answer = try_password(attacker, staff.email, "guess", ATTACKER)
        assert checked_and_refused(answer)
    right_password_too_soon = try_password(attacker, staff.email, PASSWORD, ATTACKER)
    assert delayed(right_password_too_soon)
    assert "Please wait 1 second, then try again." in right_password_too_soon.content.decode()
    assert 'value="sam.staff@example.ac.uk"' in right_password_too_soon.content.decode()

    sign_in_fully(OWNER, staff)


def test_each_further_wrong_password_doubles_the_wait(clock, staff):
    attacker, answers = Client(), []
    for _ in range(3 + 2 * 6):
        text = try_password(attacker, staff.email, "guess", ATTACKER).content.decode()
        if WAIT in text:
            seconds = int(text.split("Please wait ")[1].split(" second")[0])
            answers.append(seconds)
            clock.shift(timedelta(seconds=seconds + 0.1))
        else:
            answers.append("checked")
    assert answers == ["checked"] * 3 + [
        answer for seconds in (1, 2, 4, 8, 16, 32) for answer in (seconds, "checked")
    ]


def test_the_longest_wait_is_fifteen_minutes():
    waits = [wait_after(n, free=3) for n in (0, 2, 3, 4, 12, 13, 10**6)]
    assert waits == [0, 0, 1, 2, 512, 900, 900]


def test_waiting_out_the_delay_lets_the_next_attempt_be_checked(clock, staff):
    attacker = Client()
    for _ in range(4):
        try_password(attacker, staff.email, "guess", ATTACKER)
    assert delayed(try_password(attacker, staff.email, PASSWORD, ATTACKER))
    clock.shift(timedelta(seconds=2.5))
    assert reached_code_step(try_password(attacker, staff.email, PASSWORD, ATTACKER))


def test_guessing_many_accounts_from_one_address_is_slowed(clock, db):
    accounts = [UserFactory(role="staff", email=f"staff{n}@example.ac.uk") for n in range(11)]
    attacker = Client()
    for user in accounts[:10]:
        assert not delayed(try_password(attacker, user.email, "Summer2026!", ATTACKER))
    assert delayed(try_password(attacker, accounts[10].email, "Summer2026!", ATTACKER))
    assert not delayed(try_password(Client(), accounts[10].email, PASSWORD, OWNER))


def test_guesses_from_many_addresses_slow_strangers_but_not_the_owner(clock, staff):
    sign_in_fully(OWNER, staff)
    for n in range(20):
        assert not delayed(try_password(Client(), staff.email, "guess", f"192.0.2.{n + 1}"))
    assert delayed(try_password(Client(), staff.email, PASSWORD, "192.0.2.200"))
    clock.shift(timedelta(seconds=30))  # the next authenticator code (each works once)
    sign_in_fully(OWNER, staff)


def test_an_attempt_that_succeeds_is_not_counted_against_the_address(clock, db):
    users = [
        with_totp(UserFactory(role="staff", email=f"colleague{n}@example.ac.uk")) for n in range(12)
    ]
    office = Client()
    for user in users:  # a shared office address where everyone types their password right
        assert reached_code_step(try_password(Client(), user.email, PASSWORD, OWNER))
    assert not delayed(try_password(office, users[0].email, "typo", OWNER))


def test_wrong_authenticator_codes_slow_the_session_not_the_account(clock, staff):
    attacker = Client()  # knows the password, not the authenticator
    assert reached_code_step(try_password(attacker, staff.email, PASSWORD, ATTACKER))
    for guess in ("000000", "111111", "222222"):
        answer = attacker.post(CODE_STEP, {"code": guess}, REMOTE_ADDR=ATTACKER)
        assert checked_and_refused(answer)
    assert delayed(attacker.post(CODE_STEP, {"code": current_totp()}, REMOTE_ADDR=ATTACKER))
    sign_in_fully(OWNER, staff)


def test_the_admin_login_goes_through_the_same_delay(clock, staff):
    attacker = Client()
    answer = attacker.get("/admin/login/?next=/admin/", REMOTE_ADDR=ATTACKER)
    assert answer.status_code == 302 and answer["Location"].startswith(LOGIN)
    for _ in range(3):
        try_password(attacker, staff.email, "guess", ATTACKER)
    assert delayed(try_password(attacker, staff.email, PASSWORD, ATTACKER))


# Sign-in code and password-link requests


def request_code(email: str, address: str, **headers):
    return Client().post(REQUEST_CODE, {"email": email}, REMOTE_ADDR=address, headers=headers)


def code_sent(answer) -> bool:
    return answer.status_code == 302 and answer["Location"] == CONFIRM_CODE


def test_one_address_cannot_use_up_a_students_code_requests(clock, db):
    student = UserFactory(email="amira.hassan@example.ac.uk")
    assert all(code_sent(request_code(student.email, ATTACKER)) for _ in range(5))
    refused = request_code(student.email, ATTACKER)
    assert refused.status_code == 200
    assert "You have asked for this several times in the last hour" in refused.content.decode()
    assert 'value="amira.hassan@example.ac.uk"' in refused.content.decode()
    assert code_sent(request_code(student.email, OWNER))


def test_an_email_address_gets_twenty_codes_an_hour_but_its_owner_more(clock, db):
    student = UserFactory(email="amira.hassan@example.ac.uk")
    remember_address(student.email, OWNER)  # where Amira signed in last week
    for n in range(20):
        assert code_sent(request_code(student.email, f"192.0.2.{n // 5 + 1}"))
    refused = request_code(student.email, "192.0.2.99")
    assert "This email address has been asked for many times" in refused.content.decode()
    assert code_sent(request_code(student.email, OWNER))
    clock.shift(timedelta(hours=1, seconds=1))
    assert code_sent(request_code(student.email, "192.0.2.99"))


def test_one_address_asks_for_at_most_twenty_codes_a_minute(clock, db):
    for n in range(20):
        assert code_sent(request_code(f"made.up{n}@example.ac.uk", ATTACKER))
    assert not code_sent(request_code("made.up.again@example.ac.uk", ATTACKER))
    assert code_sent(request_code("someone.else@example.ac.uk", OWNER))


def test_a_flood_of_requests_and_cache_entries_does_not_wipe_the_counts(clock, db):
    for n in range(20):
        assert code_sent(request_code(f"made.up{n}@example.ac.uk", ATTACKER))
    for n in range(1000):  # entries other visitors leave (sessions, codes, counters)
        cache.set(f"other-visitor-{n}", n, 3600)
    assert not code_sent(request_code("made.up.again@example.ac.uk", ATTACKER))


def test_password_links_are_limited_per_address_and_email(clock, staff):
    def ask(address):
        return Client().post(RESET, {"email": staff.email}, REMOTE_ADDR=address)

    assert all(ask(ATTACKER).status_code == 302 for _ in range(3))
    assert "several times in the last hour" in ask(ATTACKER).content.decode()
    assert ask(OWNER).status_code == 302


# The client's address


def address_of(forwarded_for: str | None, remote: str = "10.0.0.5", **meta) -> str:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers, **meta)
    return client_address(request)


def test_without_a_proxy_x_forwarded_for_is_ignored(settings):
    settings.MICROINTERN_TRUSTED_PROXY_COUNT = 0
    assert address_of("192.0.2.1") == "10.0.0.5"


def test_behind_proxies_the_client_is_what_the_outermost_one_saw(settings):
    settings.MICROINTERN_TRUSTED_PROXY_COUNT = 1
    assert address_of("6.6.6.6, 192.0.2.1") == "192.0.2.1"  # the first entry is the client's
    assert address_of(None) == "10.0.0.5"
    assert address_of("not an address") == "10.0.0.5"
    settings.MICROINTERN_TRUSTED_PROXY_COUNT = 2
    assert address_of("6.6.6.6, 192.0.2.1, 10.0.0.9") == "192.0.2.1"


def test_an_ipv6_client_counts_as_its_64_network(settings):
    assert address_of(None, remote="2001:db8:1:2:aaaa::1") == "2001:db8:1:2::"
    assert address_of(None, remote="2001:db8:1:2:bbbb::9") == "2001:db8:1:2::"


def test_a_trusted_client_header_replaces_x_forwarded_for(settings):
    settings.MICROINTERN_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    assert address_of("6.6.6.6", HTTP_X_REAL_IP="192.0.2.8") == "192.0.2.8"


def test_spoofed_x_forwarded_for_does_not_escape_the_delay(clock, staff, settings):
    settings.MICROINTERN_TRUSTED_PROXY_COUNT = 0
    for n in range(3):
        try_password(Client(), staff.email, "guess", ATTACKER, x_forwarded_for=f"192.0.2.{n}")
    assert delayed(
        try_password(Client(), staff.email, "guess", ATTACKER, x_forwarded_for="192.0.2.99")
    )
    assert all(
        code_sent(request_code(f"made.up{n}@example.ac.uk", ATTACKER, x_forwarded_for=f"1.2.3.{n}"))
        for n in range(20)
    )
    assert not code_sent(request_code("x@example.ac.uk", ATTACKER, x_forwarded_for="1.2.3.99"))


def test_behind_a_proxy_its_clients_are_told_apart(clock, staff, settings):
    settings.MICROINTERN_TRUSTED_PROXY_COUNT = 1
    proxy = "127.0.0.1"
    for _ in range(4):
        try_password(Client(), staff.email, "guess", proxy, x_forwarded_for=ATTACKER)
    assert delayed(try_password(Client(), staff.email, PASSWORD, proxy, x_forwarded_for=ATTACKER))
    assert reached_code_step(
        try_password(Client(), staff.email, PASSWORD, proxy, x_forwarded_for=OWNER)
    )
