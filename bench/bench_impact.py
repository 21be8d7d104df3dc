"""Benchmark the impact page: the first request after the data changed (the statistics are
computed: Wilcoxon permutation tests, the lottery comparison) beside a repeated request (the
tables come from the cache, keyed by a digest of the data), in one run.

Data as for the dashboard bench (`demo --students N` + `demo_insights`, which writes the
survey answers in bulk from 10,000 students), reused from one run to the next (the same
database as `bench_dashboard.py --students N`). Usage::

    .venv/bin/python bench/bench_impact.py --students 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h8bench \\
        .venv/bin/python bench/bench_impact.py --students 100000

Prints one markdown table row per kind of request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from bench_dashboard import _load, _prepare_environment

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _measure(runs: int, *, cached_only: bool = False) -> list[tuple[str, list[float]]]:
    from django.core.cache import cache
    from django.test import Client

    from microintern.accounts.models import User
    from tests.accounts.factories import sign_in  # needs Django set up: staff sign in with MFA

    client = Client()
    sign_in(client, User.objects.get(email="researcher@example.ac.uk"))
    url = "/insights/impact/?year=all"
    first = client.get(url)  # warm-up (imports SciPy/statsmodels)
    assert first.status_code == 200, (first.status_code, first.content[-3000:])
    cold, warm = [], []
    if cached_only:  # the warm-up filled the cache (or found it filled by an earlier run)
        for _ in range(runs):
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            warm.append(time.perf_counter() - started)
        return [("cached (data unchanged)", warm)]
    for _ in range(runs):
        cache.clear()  # as after any change to the data: the digest no longer matches
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        warm.append(time.perf_counter() - started)
    return [("computed (data changed)", cold), ("cached (data unchanged)", warm)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="only repeated requests (no computed ones: 90 s each at 100,000 students)",
    )
    args = parser.parse_args()
    url = _prepare_environment(args)
    import django

    django.setup()
    from django.db import connection

    from microintern.surveys.models import Answer

    timings = _load(args.students)
    print(f"Database: {connection.vendor} ({url.split('@')[-1]}); load: {timings or 'reused'}")
    print(f"Survey answers {Answer.objects.count():,}")
    print()
    print("| Database | Students | Request | Best (s) | Median (s) |")
    print("|---|---:|---|---:|---:|")
    for label, walls in _measure(args.runs, cached_only=args.cached_only):
        print(
            f"| {connection.vendor} | {args.students:,} | {label} | {min(walls):.3f} | "
            f"{statistics.median(walls):.3f} |"
        )


if __name__ == "__main__":
    main()
