"""One authenticator code signs in once, and a rate limit counts every request once,
however many web workers there are.

Real processes, as in production: `gunicorn microintern.wsgi -w 3` on a free port, against a
database it shares with this test (PostgreSQL's test database when DATABASE_URL is set, as
in CI; otherwise a migrated SQLite file), on the database cache or on Redis. A staff member
signs in with their password in several fresh HTTP sessions, then all of them send the same
current authenticator code at once, so the requests land on different workers (gunicorn's
access log names the worker of each). Exactly one session gets in. And one address asking
for sign-in codes for one email address, several requests at a time, gets exactly the 5 an
hour the limit allows, not 5 per worker.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.db import connection

from tests.accounts.factories import TOTP_SECRET
from tests.core.test_settings import clean_environment
from tests.mail.test_outbox_worker import database_url, migrated_sqlite

migrated_sqlite = migrated_sqlite  # the fixture: one migrated SQLite file for the module

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
    pytest.mark.slow,
    pytest.mark.real_clock,
]

EMAIL = "sam.staff@example.ac.uk"
PASSWORD = "correct horse battery"  # noqa: S105 - a test user's password
SESSIONS = 6
WORKERS = 3
REDIS_URL = "redis://127.0.0.1:6379/0"
CODE_STEP = "/accounts/2fa/authenticate/"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

MAKE_STAFF = f"""
from allauth.mfa.totp.internal.auth import TOTP
from microintern.accounts.models import User
user = User.objects.create_user({EMAIL!r}, {PASSWORD!r}, role="staff", full_name="Sam Staff")
TOTP.activate(user, {TOTP_SECRET!r})
"""
CACHE_ROWS = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT COUNT(*) FROM microintern_cache")
    print(cursor.fetchone()[0])
"""
EMPTY_DATABASE_CACHE = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("DELETE FROM microintern_cache")
"""


def redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def subprocess_environment(**extra: str) -> dict[str, str]:
    """This environment, without pytest's marker (which keeps the in-process suite on a
    local-memory cache) or a cache of the caller's."""
    env = clean_environment("PYTEST_VERSION", "PYTEST_CURRENT_TEST", "REDIS_URL")
    return {**env, "DEBUG": "0", "LOG_LEVEL": "WARNING", **extra}


class Site:
    """gunicorn with WORKERS workers, and `manage` for commands against the same database."""

    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.env, self.port = env, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = tmp_path / "access.log"
        self.process: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "microintern", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "microintern.wsgi"),
                *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}"),
                *("--access-logfile", str(self.access_log)),
                *("--access-logformat", "%(p)s %(m)s %(U)s %(s)s"),
                "--timeout=30",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, "gunicorn stopped while starting"
            try:
                if requests.get(f"{self.url}/accounts/login/", timeout=10).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # still starting, or busy
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def workers_of(self, method: str, path: str) -> list[str]:
        """The pids of the workers that answered `method path`, from the access log."""
        lines = self.access_log.read_text().splitlines()
        return [
            pid for pid, m, p, _ in (line.split() for line in lines) if (m, p) == (method, path)
        ]


def site_on(tmp_path: Path, request, **cache_env: str):
    env = subprocess_environment(
        DATABASE_URL=database_url(tmp_path),
        MICROINTERN_VAR_DIR=str(tmp_path / "var"),
        **cache_env,
    )
    if connection.vendor != "postgresql":  # the database file database_url names
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / "outbox.sqlite3")
    site = Site(tmp_path, env)
    site.manage("shell", "-c", MAKE_STAFF)
    site.start()
    return site


@pytest.fixture
def site_on_database_cache(tmp_path, request):
    site = site_on(tmp_path, request)
    yield site
    site.stop()
    site.manage("shell", "-c", EMPTY_DATABASE_CACHE)  # PostgreSQL's test database outlives us


@pytest.fixture
def site_on_redis(tmp_path, request):
    if not redis_answers():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Redis at {REDIS_URL}, but it does not answer.")
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    prefix = f"test-shared-cache-{uuid.uuid4().hex}"
    site = site_on(tmp_path, request, REDIS_URL=REDIS_URL, MICROINTERN_CACHE_KEY_PREFIX=prefix)
    site.redis_keys = lambda: list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{prefix}:*"))
    yield site
    site.stop()
    keys = site.redis_keys()
    if keys:
        redis.Redis.from_url(REDIS_URL).delete(*keys)


def password_step(site: Site) -> tuple[requests.Session, str]:
    """A fresh session that has passed the password step: it is at the code step, with the
    code form's CSRF token."""
    session = requests.Session()
    page = session.get(f"{site.url}/accounts/login/", timeout=10)
    answer = session.post(
        f"{site.url}/accounts/login/",
        data={
            "csrfmiddlewaretoken": CSRF_TOKEN.search(page.text).group(1),
            "login": EMAIL,
            "password": PASSWORD,
        },
        timeout=10,
    )
    assert answer.url == f"{site.url}{CODE_STEP}", answer.url
    return session, CSRF_TOKEN.search(answer.text).group(1)


def current_code_with_time_to_spare(spare_seconds: float = 8) -> str:
    """The authenticator's current code, waiting for the next one when this one is about to
    run out (so that every session sends a code that is still valid)."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < spare_seconds:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // period))


def send_the_same_code_at_once(site: Site) -> list[tuple[requests.Session, requests.Response]]:
    sessions = [password_step(site) for _ in range(SESSIONS)]
    code = current_code_with_time_to_spare()
    start = threading.Barrier(SESSIONS)
    answers: list[requests.Response | None] = [None] * SESSIONS

    def send(n: int) -> None:
        session, token = sessions[n]
        start.wait(timeout=10)
        answers[n] = session.post(
            f"{site.url}{CODE_STEP}",
            data={"csrfmiddlewaretoken": token, "code": code},
            allow_redirects=False,
            timeout=20,
        )

    threads = [threading.Thread(target=send, args=(n,)) for n in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(answers), "a code request did not come back"
    return [(session, answer) for (session, _), answer in zip(sessions, answers, strict=True)]


def assert_one_session_got_in(site: Site, sent: list[tuple[requests.Session, requests.Response]]):
    statuses = [answer.status_code for _, answer in sent]
    assert sorted(statuses) == [200] * (SESSIONS - 1) + [302], statuses
    for session, answer in sent:
        staff_page = session.get(f"{site.url}/staff/", allow_redirects=False, timeout=10)
        if answer.status_code == 302:
            assert answer.headers["Location"] == "/home/"
            assert staff_page.status_code == 200
        else:  # refused as a used code (the form again), not rate-limited or errored
            assert 'name="code"' in answer.text
            assert staff_page.status_code == 302
    workers = site.workers_of("POST", CODE_STEP)
    assert len(workers) == SESSIONS
    assert len(set(workers)) >= 2, f"every code request went to one worker: {workers}"


def test_a_code_used_on_one_worker_is_refused_on_the_others(site_on_database_cache):
    site = site_on_database_cache
    assert_one_session_got_in(site, send_the_same_code_at_once(site))
    assert int(site.manage("shell", "-c", CACHE_ROWS).split()[-1]) >= 1


def test_on_redis_a_code_used_on_one_worker_is_refused_on_the_others(site_on_redis):
    site = site_on_redis
    assert_one_session_got_in(site, send_the_same_code_at_once(site))
    assert site.redis_keys(), "the workers did not keep the used code in Redis"


REQUEST_CODE = "/accounts/login/code/"
CODE_REQUESTS = 9
AT_ONCE = 3
CODES_AN_HOUR = 5  # ACCOUNT_RATE_LIMITS["request_login_code_from_address"]


def ask_for_a_code(site: Site, email: str) -> int:
    """A fresh visitor asks for a sign-in code for `email`; 302 when it was accepted."""
    session = requests.Session()
    page = session.get(f"{site.url}{REQUEST_CODE}", timeout=10)
    answer = session.post(
        f"{site.url}{REQUEST_CODE}",
        data={"csrfmiddlewaretoken": CSRF_TOKEN.search(page.text).group(1), "email": email},
        allow_redirects=False,
        timeout=20,
    )
    assert answer.status_code in {200, 302}, answer.status_code
    if answer.status_code == 200:
        assert "You have asked for this several times" in answer.text, answer.text[:2000]
    return answer.status_code


def assert_code_requests_counted_once(site: Site) -> None:
    start = threading.Barrier(AT_ONCE)
    statuses: list[int] = []
    lock = threading.Lock()

    def ask_in_turn(turns: int) -> None:
        start.wait(timeout=10)
        for _ in range(turns):
            status = ask_for_a_code(site, EMAIL)
            with lock:
                statuses.append(status)

    threads = [
        threading.Thread(target=ask_in_turn, args=(CODE_REQUESTS // AT_ONCE,))
        for _ in range(AT_ONCE)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert len(statuses) == CODE_REQUESTS
    assert statuses.count(302) == CODES_AN_HOUR, sorted(statuses)
    workers = site.workers_of("POST", REQUEST_CODE)
    assert len(set(workers)) >= 2, f"every code request went to one worker: {workers}"


def test_the_sign_in_code_limit_is_counted_once_across_workers(site_on_database_cache):
    assert_code_requests_counted_once(site_on_database_cache)


def test_on_redis_the_sign_in_code_limit_is_counted_once_across_workers(site_on_redis):
    assert_code_requests_counted_once(site_on_redis)
