"""Django's SQLite backend, except that opening a database file makes its directory first,
and a write lock not had within the busy timeout is `Busy`, not a server error.

So the default database in var/ works on a fresh checkout without the settings creating
anything when they are imported. Every transaction takes SQLite's single write lock when it
begins (IMMEDIATE, see settings), and SQLite retries while another connection holds it, for
up to the `timeout` option (`LOCK_TIMEOUT_SECONDS`). When even that runs out, the change is
refused as `Busy` like a PostgreSQL row lock that times out: a person reads "someone else is
changing this right now", a task runs again later (`core.tasks.retrying_task`).
"""

from pathlib import Path

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from microintern.core.errors import Busy

LOCKED = "database is locked"


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params["database"])
        if not (self.creation.is_in_memory_db(name) or name.startswith("file:")):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)

    def _start_transaction_under_autocommit(self):
        try:
            super()._start_transaction_under_autocommit()
        except OperationalError as error:
            if LOCKED in str(error):
                raise Busy() from error
            raise
