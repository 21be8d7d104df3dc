"""Benchmark the API's list endpoints: latency p50 / p95 through the whole Django stack.

Data: N micro-internships (default 500), each with 8 places (3 offered, so places taken is
counted), made with the test factories in a fresh database. A token with every scope.
Each endpoint is requested through Django's test client (middleware, token check, rate
limit counter in the cache, pydantic validation of the answer, JSON) R times after 10
warm-up requests; the table gives the median and 95th percentile wall time.

Usage::

    .venv/bin/python bench/bench_api.py                        # SQLite (temp file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/api_bench \\
        .venv/bin/python bench/bench_api.py                    # PostgreSQL (database made)

Prints one markdown table row per endpoint.
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


def _prepare(args) -> str:
    var = Path(tempfile.mkdtemp(prefix="microintern-bench-api-"))
    os.environ["MICROINTERN_VAR_DIR"] = str(var)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "microintern.settings"
    os.environ["API_RATE_LIMIT"] = "1000000"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DEBUG", "0")  # as production runs: no query log kept in memory
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        from _database import fresh_postgres_database

        fresh_postgres_database(url)
    return url


def _load(count: int):
    from django.core.management import call_command
    from django.db import connection

    from microintern.api.enums import Scope
    from microintern.applications.enums import PlaceState
    from microintern.applications.models import ExpressionOfInterest
    from tests.api.factories import make_token
    from tests.applications.factories import ExpressionOfInterestFactory
    from tests.programme.factories import MicroInternshipFactory

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    mis = [MicroInternshipFactory(open_now=True) for _ in range(count)]
    for mi in mis:
        places = ExpressionOfInterestFactory.create_batch(
            8, micro_internship=mi, student__with_user=False
        )
        ExpressionOfInterest.objects.filter(pk__in=[p.pk for p in places[:3]]).update(
            state=PlaceState.ACCEPTED
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return mis, make_token(*Scope.values)


def _measure(client, url: str, headers: dict, runs: int) -> tuple[float, float, int]:
    for _ in range(10):
        assert client.get(url, **headers).status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    return statistics.median(times), p95, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    url = _prepare(args)
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    mis, token = _load(args.count)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.secret}"}
    reference = mis[len(mis) // 2].reference
    endpoints = [
        "/api/v1/micro-internships",
        "/api/v1/micro-internships?limit=500",
        "/api/v1/micro-internships?state=open&limit=500",
        f"/api/v1/micro-internships/{reference}",
        f"/api/v1/micro-internships/{reference}/places",
        f"/api/v1/micro-internships/{reference}/attendance",
    ]
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print("| database | endpoint | micro-internships | p50 | p95 | body |")
    print("|---|---|---:|---:|---:|---:|")
    for endpoint in endpoints:
        p50, p95, size = _measure(client, endpoint, headers, args.runs)
        shown = endpoint.replace(reference, "{ref}")
        print(
            f"| {database} | `{shown}` | {args.count} | {p50:.1f} ms | {p95:.1f} ms "
            f"| {size / 1024:.0f} KiB |"
        )


if __name__ == "__main__":
    main()
