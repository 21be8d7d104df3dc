"""How long the biggest jobs hold SQLite's write lock, as another writer sees it.

On a fresh SQLite file (WAL, as the settings make it), each job runs as its own process
(`python -m microintern ...`) while this process writes one small row every 5 ms from
another connection, as a web request would (BEGIN IMMEDIATE, INSERT, COMMIT, busy timeout
60 s). The longest time one of those BEGINs waited for the lock is the longest the job held
it (the COMMIT is not counted: it may checkpoint the WAL, which is not a wait for the
lock). The goal: no job holds it longer than 1 s.

    .venv/bin/python bench/bench_sqlite_write_lock.py [--students 20000] [--only feed ...]

Bounded: each job has 10 minutes; the probe stops with the last job. Results in
bench/README.md.
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

GOAL_SECONDS = 1.0
RETENTION = (
    "from microintern.insights.domain import apply_retention; "
    "from django.utils import timezone; from datetime import timedelta; "
    "print(apply_retention(timezone.now() + timedelta(days=8 * 365)))"
)


class Probe(threading.Thread):
    """Small writes from a connection of its own; the waits they had."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path, self.waits, self.running = path, [], True
        self.lock = threading.Lock()

    def run(self):
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        db.execute("CREATE TABLE IF NOT EXISTS bench_probe (at REAL)")
        while self.running:
            started = time.perf_counter()
            while True:  # a job may hold the lock past the busy timeout: keep waiting
                try:
                    db.execute("BEGIN IMMEDIATE")  # returns once this connection has the lock
                    break
                except sqlite3.OperationalError:
                    continue
            waited = time.perf_counter() - started
            db.execute("INSERT INTO bench_probe VALUES (?)", (started,))
            db.execute("COMMIT")  # may checkpoint the WAL: not a wait for the lock
            with self.lock:
                self.waits.append(waited)
            time.sleep(0.005)
        db.close()

    def take(self) -> list[float]:
        with self.lock:
            waits, self.waits = self.waits, []
        return waits


def population_csv(path: Path, count: int, prefix: str = "P") -> Path:
    lines = ["student_number,email,full_name,programme,school,level,mode,fee_status,domicile"]
    lines += [
        f"{prefix}{n:07d},{prefix.lower()}{n}@example.ac.uk,Person {n},BSc Data Science,"
        "Computing,UG,FT,H,UK"
        for n in range(count)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["demo", "students", "insights", "import", "feed", "retention"],
        help="Run only these jobs (in their usual order).",
    )
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sqlite-lock-"))
    database = work / "var" / "microintern.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "MICROINTERN_VAR_DIR": str(work / "var"),
        "LOG_LEVEL": "WARNING",
        "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "STUDENT_FEED_DROP_DIR": str(work / "drop"),
        "STUDENT_FEED_SETTLE_SECONDS": "0",
        "STUDENT_FEED_ACADEMIC_YEAR": "2026/27",
    }

    def manage(*args: str) -> float:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "microintern", *args],
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
        return time.perf_counter() - started

    manage("migrate", "--no-input")
    csv = population_csv(work / "population.csv", options.students)
    (work / "drop").mkdir()
    population_csv(work / "drop" / "record.csv", options.students, prefix="F")
    jobs = [
        ("demo", "demo data", ["demo"]),
        (
            "students",
            f"demo --students {options.students}",
            ["demo", "--students", str(options.students)],
        ),
        ("insights", "demo_insights (population, equality, consent)", ["demo_insights"]),
        (
            "import",
            f"population import, {options.students} rows",
            ["import_population", str(csv), "--year", "2026/27"],
        ),
        (
            "feed",
            f"student-record feed, {options.students} new students",
            ["import_student_record", "--from-drop"],
        ),
        ("retention", "retention, eight years on", ["shell", "-c", RETENTION]),
    ]
    jobs = [(name, args) for key, name, args in jobs if key in (options.only or [key])]
    probe = Probe(database)
    probe.start()
    time.sleep(0.2)
    print(
        f"| job | run time | longest wait of another writer | writes waiting > {GOAL_SECONDS:g} s |"
    )
    print("|---|---|---|---|")
    failed = False
    for name, args in [("nothing (the probe alone: the machine's noise)", None), *jobs]:
        probe.take()
        seconds = manage(*args) if args else time.sleep(5) or 5.0
        time.sleep(0.05)
        waits = probe.take()
        longest = max(waits, default=0.0)
        over = sum(w > GOAL_SECONDS for w in waits)
        failed |= args is not None and longest > GOAL_SECONDS
        print(f"| {name} | {seconds:.1f} s | {longest:.2f} s | {over} of {len(waits)} |")
    probe.running = False
    probe.join(timeout=70)
    print(f"\nGoal (every job's hold ≤ {GOAL_SECONDS:g} s): {'missed' if failed else 'met'}")


if __name__ == "__main__":
    main()
