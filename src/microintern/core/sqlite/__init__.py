"""Django's SQLite backend, making the database file's directory when it first connects."""
