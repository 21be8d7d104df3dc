"""Django's SQLite backend, except that opening a database file makes its directory first.

So the default database in var/ works on a fresh checkout without the settings creating
anything when they are imported.
"""

from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params["database"])
        if not (self.creation.is_in_memory_db(name) or name.startswith("file:")):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
