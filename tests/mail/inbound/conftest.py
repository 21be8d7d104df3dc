"""Fixtures for inbound mail: a real Dovecot, a mailbox row pointing at it, students and an
open micro-internship matching the corpus (MI-2026-007, addresses at student.example.ac.uk)."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from microintern.mail.inbound.enums import AuthMethod, Security
from microintern.mail.inbound.models import Mailbox
from tests.accounts.factories import StudentFactory
from tests.programme.factories import MicroInternshipFactory

from . import dovecot as dovecot_server

SECRET_ENV = "MICROINTERN_TEST_IMAP_PASSWORD"
CORPUS_STUDENTS = [
    ("a.pereira@student.example.ac.uk", "Ana Pereira"),
    ("l.chen@student.example.ac.uk", "Li Chen"),
    ("kwame.mensah@student.example.ac.uk", "Kwame Mensah"),
    ("priya.patel@student.example.ac.uk", "Priya Patel"),
    ("sam.taylor@student.example.ac.uk", "Sam Taylor"),
]


@pytest.fixture(scope="session")
def dovecot_session():
    if not dovecot_server.available():
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot is not installed (apt-get install dovecot-imapd dovecot-core)")
        pytest.skip("Dovecot is not installed (/usr/sbin/dovecot); CI installs it")
    # Not under pytest's tmp_path: its parents are private to root, and Dovecot's mail
    # processes run as nobody.
    tmp = Path(tempfile.mkdtemp(prefix="microintern-dovecot-"))
    server = dovecot_server.Dovecot(tmp, dovecot_server.free_port())
    server.start()
    yield server
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_session, monkeypatch):
    """The running server with every folder emptied, and its password in the environment."""
    dovecot_session.clear()
    monkeypatch.setenv(SECRET_ENV, dovecot_session.password)
    yield dovecot_session
    dovecot_session.clear()


@pytest.fixture
def mailbox(db, dovecot):
    return Mailbox.objects.create(
        name="clinic",
        host="127.0.0.1",
        port=dovecot.port,
        security=Security.NONE,
        username=dovecot.user,
        auth=AuthMethod.PASSWORD,
        secret_env=SECRET_ENV,
    )


@pytest.fixture
def corpus_world(db, settings):
    """The students and the open micro-internship the corpus messages are about."""
    settings.MICROINTERN = {**settings.MICROINTERN, "UNIVERSITY_EMAIL_DOMAINS": ["example.ac.uk"]}
    students = {
        email: StudentFactory(email=email, full_name=name) for email, name in CORPUS_STUDENTS
    }
    mi = MicroInternshipFactory(open_now=True, reference="MI-2026-007")
    return students, mi


@pytest.fixture
def dovecot_free_mailbox(db):
    """A mailbox row that is never polled (for storing through a second channel)."""
    return Mailbox.objects.create(
        name="other", host="127.0.0.1", username="other@example.ac.uk", secret_env="UNUSED"
    )
