"""Behind a real nginx, configured as docs/deployment.md says, an attacker is slowed and
another person signs in.

nginx (Debian's package) runs as a foreground process on a free port with the documented
configuration (`tests/accounts/nginx_proxy.py`), in front of `gunicorn -w 3` told of one proxy
(MICROINTERN_TRUSTED_PROXY_COUNT=1). The attacker connects from 127.0.0.2, the others from
127.0.0.3 and 127.0.0.4, so nginx sees three client addresses. The attacker also writes
X-Forwarded-For headers of its own, which must not make it look like someone else.
"""

import math
import os
import time

import pytest

from tests.accounts.http_visitors import Visitor, outcome
from tests.accounts.nginx_proxy import NGINX, Nginx
from tests.accounts.test_shared_cache import (
    CODE_STEP,
    EMAIL,
    EMPTY_DATABASE_CACHE,
    PASSWORD,
    current_code_with_time_to_spare,
    migrated_sqlite,
    site_on,
)

migrated_sqlite = migrated_sqlite  # the fixture, for site_on

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
    pytest.mark.slow,
    pytest.mark.real_clock,
]

ATTACKER, OWNER, STUDENT = "127.0.0.2", "127.0.0.3", "127.0.0.4"
STUDENT_EMAIL = "amira.hassan@example.ac.uk"
LOGIN = "/accounts/login/"


@pytest.fixture
def behind_nginx(tmp_path, request):
    if not os.path.exists(NGINX):
        message = f"nginx not found at {NGINX} (apt-get install -y nginx); CI installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    site = site_on(tmp_path, request, MICROINTERN_TRUSTED_PROXY_COUNT="1")
    (tmp_path / "nginx").mkdir()
    nginx = Nginx(tmp_path / "nginx", site.url)
    yield nginx
    nginx.stop()
    site.stop()
    site.manage("shell", "-c", EMPTY_DATABASE_CACHE)  # PostgreSQL's test database outlives us


def test_an_attacker_is_slowed_while_the_account_owner_signs_in(behind_nginx):
    """The attacker guesses as fast as the server answers. However slow the machine, it
    gets its 3 free guesses and then at most one more per doubling of the wait: after m
    more, it has waited 1 + 2 + … + 2^(m-2) seconds."""
    attacker = Visitor(behind_nginx.url, ATTACKER)
    token, started = attacker.form_token(LOGIN), time.monotonic()
    guesses = [
        outcome(
            attacker.submit(
                LOGIN,
                {"login": EMAIL, "password": f"guess {n}"},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},  # pretending to be elsewhere
                token=token,
            )
        )
        for n in range(12)
    ]
    elapsed = time.monotonic() - started
    assert guesses[:3] == ["refused"] * 3, guesses
    assert set(guesses) == {"refused", "wait"}, guesses
    assert guesses.count("refused") <= 3 + 1 + math.floor(math.log2(elapsed + 1)), guesses

    owner = Visitor(behind_nginx.url, OWNER)
    password_step = owner.submit(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert password_step.headers["Location"] == CODE_STEP
    code_step = owner.submit(CODE_STEP, {"code": current_code_with_time_to_spare()})
    assert code_step.headers["Location"] == "/home/"
    assert owner.get("/staff/", allow_redirects=False).status_code == 200
    assert behind_nginx.client_addresses() == {ATTACKER, OWNER}


def test_a_flood_of_code_requests_is_refused_while_the_student_gets_their_code(behind_nginx):
    flood = [  # each request from a fresh session, as a script would
        outcome(
            Visitor(behind_nginx.url, ATTACKER).submit(
                "/accounts/login/code/",
                {"email": STUDENT_EMAIL},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
            )
        )
        for n in range(8)
    ]
    assert flood == ["accepted"] * 5 + ["limited"] * 3, flood
    student = Visitor(behind_nginx.url, STUDENT)
    answer = student.submit("/accounts/login/code/", {"email": STUDENT_EMAIL})
    assert answer.headers["Location"] == "/accounts/login/code/confirm/"


def test_a_flood_of_posts_is_cut_off_by_nginx_while_others_sign_in(behind_nginx):
    """40 sign-in posts at once from one address (each claiming another address in
    X-Forwarded-For): nginx lets through its burst of 20, and about one a second after
    that, and answers the rest itself with 429; the address's pages still open, and the
    account's owner, at another address, signs in."""
    attacker = Visitor(behind_nginx.url, ATTACKER)
    token, started = attacker.form_token(LOGIN), time.monotonic()
    answers = [
        attacker.submit(
            LOGIN,
            {"login": EMAIL, "password": f"guess {n}"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
            token=token,
        )
        for n in range(40)
    ]
    elapsed = time.monotonic() - started
    by_nginx = [a for a in answers if a.status_code == 429 and "nginx" in a.text]
    reached_the_site = len(answers) - len(by_nginx)
    assert 20 <= reached_the_site <= 21 + math.ceil(elapsed), (reached_the_site, elapsed)
    assert by_nginx, "nginx refused none of the flood"
    assert all(outcome(a) in {"refused", "wait", "limited"} for a in answers)
    assert attacker.get(LOGIN).status_code == 200  # pages are not limited

    owner = Visitor(behind_nginx.url, OWNER)
    password_step = owner.submit(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert password_step.headers["Location"] == CODE_STEP
    code_step = owner.submit(CODE_STEP, {"code": current_code_with_time_to_spare()})
    assert code_step.headers["Location"] == "/home/"
