"""What the benchmarks share: a PostgreSQL database made fresh for one run, and the
project's management commands run in a process of their own."""

import subprocess
import sys


def fresh_postgres_database(url: str) -> None:
    """Drop and create the database named at the end of `url` (postgres://…/<name>)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def run_manage(env: dict, *command: str) -> str:
    """`python -m microintern <command>` with `env`; what it printed (it must succeed)."""
    return subprocess.run(
        [sys.executable, "-m", "microintern", *command],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
