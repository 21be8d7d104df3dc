"""Staff-side sessions are short (idle and absolute limits); students' and hosts' are long.

Tried with the clock moved (time-machine), never by waiting.
"""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db

STAFF_SIDE = ["staff", "researcher", "administrator"]


def signed_out(response) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("role", STAFF_SIDE)
def test_a_staff_side_session_ends_after_30_minutes_idle(client, make_user, role):
    page = "/insights/" if role == "researcher" else "/staff/"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, make_user(role))
        assert client.get(page).status_code == 200
        clock.shift(timedelta(minutes=29, seconds=59))
        assert client.get(page).status_code == 200  # activity renews the idle limit
        clock.shift(timedelta(minutes=30, seconds=1))
        response = client.get(page)
    assert signed_out(response)
    assert response.url == f"/accounts/login/?next={page}"
    assert "_auth_user_id" not in client.session
    assert client.get(page).status_code == 302  # the old session is gone, not just refused


def test_a_busy_staff_session_still_ends_after_10_hours(client, make_user):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, make_user("staff"))
        for _ in range(20):  # a request every 29 minutes: never idle for 30
            assert client.get("/staff/").status_code == 200
            clock.shift(timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200  # 9 h 40 min in
        clock.shift(timedelta(minutes=21))
        assert signed_out(client.get("/staff/"))


def test_the_session_cookie_of_staff_lasts_only_the_idle_limit(client, make_user):
    sign_in(client, make_user("staff"))
    response = client.get("/staff/")
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60


def test_the_limits_are_settings(client, make_user, settings):
    settings.MICROINTERN_STAFF_SESSION = {"IDLE_SECONDS": 60, "MAX_SECONDS": 3600}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, make_user("staff"))
        assert client.get("/staff/").status_code == 200
        clock.shift(timedelta(seconds=61))
        assert signed_out(client.get("/staff/"))


def test_a_student_stays_signed_in_for_days(client, student):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(student.user)
        clock.shift(timedelta(days=13, hours=23))
        assert client.get("/my/").status_code == 200
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600


def test_a_student_session_ends_after_14_days(client, student):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(student.user)
        clock.shift(timedelta(days=14, minutes=1))
        assert signed_out(client.get("/my/"))
