"""Shared fixtures: real database (SQLite or PostgreSQL via DATABASE_URL), factories, roles.

MICROINTERN_TEST_CLOCK=<ISO instant> runs the whole suite with the clock moved to that
instant (and ticking from there), e.g. 23:30 on the night the clocks go back or on
29 February: CI runs the suite once that way, so no test can depend on the hour it runs at.
"""

import os
from datetime import datetime

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.accounts.factories import StudentFactory, UserFactory, sign_in, with_totp
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in tests


def pytest_configure(config):
    instant = os.environ.get("MICROINTERN_TEST_CLOCK")
    if instant:
        moved = datetime.fromisoformat(instant)
        if moved.tzinfo is None:
            raise pytest.UsageError("MICROINTERN_TEST_CLOCK needs a UTC offset, e.g. +01:00")
        config._hostile_clock = time_machine.travel(moved, tick=True)
        config._hostile_clock.start()


def pytest_collection_modifyitems(config, items):
    """`postgres` tests need PostgreSQL's row locks and real concurrent connections: on
    SQLite they skip with that reason (CI runs them in its PostgreSQL pass). With the clock
    moved, `imap` and `real_clock` tests skip: Dovecot and gunicorn keep the machine's clock,
    which a moved clock in this process cannot move (CI runs them at the real time in
    `make test`)."""
    from django.db import connection  # noqa: PLC0415 - the database is configured by now

    skips = {}
    if connection.vendor != "postgresql":
        skips["postgres"] = pytest.mark.skip(
            reason="needs PostgreSQL row locks and real concurrent connections; runs in CI's "
            "PostgreSQL pass (DATABASE_URL=postgres://...)"
        )
    if os.environ.get("MICROINTERN_TEST_CLOCK"):
        skips["imap"] = pytest.mark.skip(
            reason="Dovecot dates mail by the machine's clock, not the moved one; runs at the "
            "real time in make test"
        )
        skips["real_clock"] = pytest.mark.skip(
            reason="its servers (gunicorn) keep the machine's clock, so a code made on the "
            "moved one is out of date; runs at the real time in make test"
        )
    for item in items:
        for marker, skip in skips.items():
            if item.get_closest_marker(marker):
                item.add_marker(skip)


def pytest_report_header(config):
    instant = os.environ.get("MICROINTERN_TEST_CLOCK")
    return f"clock moved to {instant} (MICROINTERN_TEST_CLOCK)" if instant else None


@pytest.fixture(autouse=True)
def english_to_begin_with():
    """Each test starts in the default language: a request in Welsh leaves its language
    active in the thread (the next request's LocaleMiddleware would choose again, but code
    a test calls directly would not)."""
    from django.utils import translation  # noqa: PLC0415 - settings are loaded by now

    translation.activate("en-gb")
    yield
    translation.activate("en-gb")


@pytest.fixture(autouse=True)
def empty_cache(request):
    """Each test with database access starts with an empty cache (the database table, as in
    production): allauth keeps used TOTP codes and rate-limit counters there, and a code used
    by one test must not count as a replay in the next. Tests without database access cannot
    reach the cache at all."""
    if not (
        request.node.get_closest_marker("django_db")
        or {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    ):
        yield
        return
    from django.core.cache import cache  # noqa: PLC0415 - settings are loaded by now

    request.getfixturevalue("transactional_db" if _transactional(request) else "db")
    cache.clear()
    yield
    cache.clear()


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture(scope="session")
def badge_key_file(tmp_path_factory):
    """An Open Badges signing key made for this test run (never the repository's: it has none)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("badge-key") / "badge_signing_key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(autouse=True)
def test_settings(settings, badge_key_file):
    """Fast password hashing; tasks run at once in-process unless a test starts a worker;
    badges signed with a key made for the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MICROINTERN_BADGE_KEY_FILE = badge_key_file


@pytest.fixture
def worker_queue(settings):
    """Tasks go to the database queue, as in production, until the worker (`db_worker`)
    runs them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def make_user(db):
    def make(role, **kwargs):
        user = UserFactory(role=role, **kwargs)
        return with_totp(user) if user.needs_mfa else user

    return make


@pytest.fixture
def staff_client(client, make_user):
    """The test client, signed in as Business Clinic staff (password and authenticator code)."""
    sign_in(client, make_user("staff"))
    return client


@pytest.fixture
def open_mi(db):
    return MicroInternshipFactory(open_now=True)


@pytest.fixture
def student(db):
    return StudentFactory(with_user=True)


@pytest.fixture
def interest(db, open_mi):
    return ExpressionOfInterestFactory(micro_internship=open_mi)
