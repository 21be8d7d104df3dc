"""What the benchmarks share: a PostgreSQL database made fresh for one run."""


def fresh_postgres_database(url: str) -> None:
    """Drop and create the database named at the end of `url` (postgres://…/<name>)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
