"""Shared fixtures: real database (SQLite or PostgreSQL via DATABASE_URL), factories, roles."""

import os

import pytest

from tests.factories import (
    ExpressionOfInterestFactory,
    MicroInternshipFactory,
    StudentFactory,
    UserFactory,
    with_totp,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in tests


@pytest.fixture(autouse=True)
def test_settings(settings):
    """Fast password hashing; tasks run at once in-process unless a test starts a worker."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def make_user(db):
    def make(role, **kwargs):
        user = UserFactory(role=role, **kwargs)
        return with_totp(user) if user.needs_mfa else user

    return make


@pytest.fixture
def open_mi(db):
    return MicroInternshipFactory(open_now=True)


@pytest.fixture
def student(db):
    return StudentFactory(with_user=True)


@pytest.fixture
def interest(db, open_mi):
    return ExpressionOfInterestFactory(micro_internship=open_mi)
