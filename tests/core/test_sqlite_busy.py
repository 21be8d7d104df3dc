"""SQLite's single write lock: a writer waits for it up to the busy timeout (SQLite retries
meanwhile), then is refused as `Busy` (someone else is changing this: try again), not a
server error; and it gets the lock as soon as the other writer lets go."""

import sqlite3

import pytest
from django.db.utils import ConnectionHandler

from microintern.core.errors import Busy


@pytest.fixture
def database(tmp_path, django_db_blocker):
    """A SQLite file of our own (not the test database), and a site connection to it."""
    path = tmp_path / "site.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE note (text TEXT)")
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "microintern.core.sqlite",
                "NAME": str(path),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0.2},
            }
        }
    )
    site = handler["default"]
    with django_db_blocker.unblock():
        yield path, site
        site.close()


def test_a_writer_that_cannot_get_the_lock_in_time_is_refused_as_busy(database):
    path, site = database
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    other.execute("INSERT INTO note VALUES ('theirs')")
    with pytest.raises(Busy, match="Someone else is changing this right now"):
        site.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    assert site.get_autocommit(), "a refused begin leaves the connection as it was"
    other.execute("COMMIT")

    site.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    with site.cursor() as cursor:
        cursor.execute("INSERT INTO note VALUES ('ours')")
    site.commit()
    site.set_autocommit(True)
    assert [row for (row,) in other.execute("SELECT text FROM note ORDER BY rowid")] == [
        "theirs",
        "ours",
    ]


def test_other_database_errors_are_not_mistaken_for_busy(database):
    _, site = database
    site.ensure_connection()
    site.connection.execute("BEGIN")  # a transaction already open: BEGIN IMMEDIATE fails
    with pytest.raises(Exception, match="within a transaction") as raised:
        site.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    assert not isinstance(raised.value, Busy)
