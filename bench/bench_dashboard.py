"""Benchmark the insights dashboard on a large generated data set (SQLite and PostgreSQL).

Data: `demo --students N` (N students, five years of micro-internships with 16 applicants
each) plus `demo_insights` (every student in the eligible population of every academic
year, 70 % with equality answers, 50 % with research consent), then ANALYZE (planner
statistics, as a database in use has). Then the dashboard is
requested through Django's test client as the demo researcher, and we report the number
of SQL queries and the wall time of the whole request (SQL + statistics + template), best
and median of several runs after one warm-up, and the SQL time alone.

Usage::

    .venv/bin/python bench/bench_dashboard.py --students 100000              # SQLite (temp file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h7bench \\
        .venv/bin/python bench/bench_dashboard.py --students 100000          # PostgreSQL

The database is created and filled on first use and reused on later runs (pass --fresh to
start again). Prints one markdown table row per scenario.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

SCENARIOS = [
    ("Default view (IMD quintile)", ""),
    ("Ethnic group × school", "characteristic=ethnicity&second=school"),
    ("One school, one host sector", "school=School+of+Computing&sector=Generated"),
    ("Sex × disability, unrounded (administrator)", "characteristic=sex&second=disability"),
]


def _prepare_environment(args) -> str:
    var = Path(tempfile.gettempdir()) / "microintern-bench-dashboard"
    var.mkdir(exist_ok=True)
    os.environ.setdefault("MICROINTERN_VAR_DIR", str(var))
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{var / f'bench-{args.students}.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "microintern.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        _ensure_postgres_database(url, fresh=args.fresh)
    elif args.fresh:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return url


def _ensure_postgres_database(url: str, *, fresh: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists and fresh:
            connection.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def _load(students: int) -> dict:
    from django.core.management import call_command

    from microintern.accounts.models import Student
    from microintern.insights.models import PopulationRecord

    call_command("migrate", verbosity=0)
    timings = {}
    if Student.objects.count() < students:
        started = time.perf_counter()
        # Without the demo year, so the data set stays the one the results table was measured on.
        call_command("demo", students=students, year_students=0, verbosity=0)
        timings["demo"] = time.perf_counter() - started
    if not PopulationRecord.objects.exists():
        started = time.perf_counter()
        call_command("demo_insights", verbosity=0)
        timings["demo_insights"] = time.perf_counter() - started
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a running database would have
    return timings


def _measure(runs: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from microintern.accounts.models import User
    from microintern.insights.models import PopulationRecord
    from tests.accounts.factories import sign_in

    year = (
        PopulationRecord.objects.order_by("-academic_year")
        .values_list("academic_year", flat=True)
        .first()
    )
    results = []
    for label, query in SCENARIOS:
        client = Client()
        email = "admin@example.ac.uk" if "administrator" in label else "researcher@example.ac.uk"
        sign_in(client, User.objects.get(email=email))  # password and authenticator code
        extra = "&unrounded=on" if "unrounded" in label else ""
        url = f"/insights/?year={year}&{query}{extra}"
        assert client.get(url).status_code == 200  # warm-up (imports SciPy/statsmodels)
        walls, sql, counts = [], [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                walls.append(time.perf_counter() - started)
            assert response.status_code == 200
            counts.append(len(captured.captured_queries))
            sql.append(sum(float(q["time"]) for q in captured.captured_queries))
        results.append(
            {
                "scenario": label,
                "queries": sorted(set(counts)),
                "best": min(walls),
                "median": statistics.median(walls),
                "sql_median": statistics.median(sql),
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    url = _prepare_environment(args)
    import django

    django.setup()
    from django.db import connection

    from microintern.accounts.models import Student
    from microintern.applications.models import ExpressionOfInterest
    from microintern.insights.models import PopulationRecord

    timings = _load(args.students)
    vendor = connection.vendor
    print(f"Database: {vendor} ({url.split('@')[-1]}); load: {timings or 'reused'}")
    print(
        f"Students {Student.objects.count():,}; population records "
        f"{PopulationRecord.objects.count():,}; expressions of interest "
        f"{ExpressionOfInterest.objects.count():,}"
    )
    print()
    print("| Database | Scenario | Queries | Best (s) | Median (s) | SQL, median (s) |")
    print("|---|---|---|---|---|---|")
    for row in _measure(args.runs):
        print(
            f"| {vendor} | {row['scenario']} | {', '.join(map(str, row['queries']))} | "
            f"{row['best']:.3f} | {row['median']:.3f} | {row['sql_median']:.3f} |"
        )


if __name__ == "__main__":
    main()
