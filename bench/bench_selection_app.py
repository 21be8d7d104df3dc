"""Benchmark a selection round in the app: dry run, `allocate --json`, publish.

Data: N students, each interested in 3 of M micro-internships (10 places each), all
confirmed; one round over all of them, set up while interest is open, then closed. We time
(wall clock, once) the dry run (database → engine → result JSON, saved), the command line's
dry run, and publishing (every decision read, checked and rendered first, then written in one
short transaction that locks, checks nothing changed, and writes the places, log rows and
outbox rows in bulk; the default database task backend, so sending is left to the worker as
in production).

On SQLite, while publishing runs, another process writes one small row every 5 ms as a
web request would (BEGIN IMMEDIATE, INSERT, COMMIT; `bench_sqlite_write_lock.py`'s probe):
the longest time one of those BEGINs waited is the longest publishing held the write lock
(goal: at most 1 s). `--one-transaction` publishes inside one outer transaction instead, as
publishing did before it was split in two phases, for comparison.

Usage::

    .venv/bin/python bench/bench_selection_app.py --students 1000 --micro-internships 20
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h5bench \\
        .venv/bin/python bench/bench_selection_app.py --students 1000 --micro-internships 20

Each run uses a fresh SQLite file (or empties nothing: use a fresh PostgreSQL database).
Prints one markdown table row.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PROBE = """
import sys, time
sys.path.insert(0, sys.argv[2])
from bench_sqlite_write_lock import Probe
probe = Probe(sys.argv[1])
probe.start()
time.sleep(0.2)
probe.take()
print("ready", flush=True)
sys.stdin.readline()
time.sleep(0.5)  # the write waiting at the end: SQLite's busy handler sleeps up to 100 ms
print(max(probe.take(), default=0.0), flush=True)
probe.running = False
probe.join(timeout=70)
"""


def start_probe(path: Path) -> subprocess.Popen:
    """`bench_sqlite_write_lock.Probe` in a process of its own (so that it never waits for
    this one's GIL): it writes a row every 5 ms until told to stop, then prints its longest
    wait for the write lock."""
    probe = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(path), str(ROOT / "bench")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert probe.stdout.readline().strip() == "ready"
    return probe


def stop_probe(probe: subprocess.Popen) -> float:
    probe.stdin.write("\n")
    probe.stdin.flush()
    longest = float(probe.stdout.readline())
    probe.wait(timeout=70)
    return longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--micro-internships", type=int, default=20)
    parser.add_argument("--one-transaction", action="store_true")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="microintern-bench-selection-"))
    os.environ.setdefault("MICROINTERN_VAR_DIR", str(var))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "microintern.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("EMAIL_URL", "dummy:")
    os.environ.setdefault("DEBUG", "0")  # as production runs: no query log kept in memory
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    backend = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    probe_path = var / "bench.sqlite3" if backend == "SQLite" else None
    row = run(args.students, args.micro_internships, probe_path, args.one_transaction)
    held = f"{row['held']:.2f} s" if probe_path else "–"
    print(
        f"| {backend} | {args.students:,} | {args.micro_internships} | {row['interests']:,} | "
        f"{row['dry_run']:.2f} s | {row['command']:.2f} s | {row['publish']:.1f} s "
        f"({row['per_interest'] * 1000:.1f} ms per interest) | {held} |"
    )


def run(n: int, m: int, probe_path: Path | None = None, one_transaction: bool = False) -> dict:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from microintern.accounts.enums import Role
    from microintern.accounts.models import Student, User
    from microintern.applications.enums import PlaceState
    from microintern.applications.models import ExpressionOfInterest
    from microintern.hosts.enums import OrganisationKind, SizeBand
    from microintern.hosts.models import Challenge, HostContact, Organisation
    from microintern.programme.domain import set_interest_window_now
    from microintern.programme.enums import MicroInternshipState
    from microintern.programme.models import MicroInternship
    from microintern.selection import domain

    rng = random.Random(2026)
    now = timezone.now()
    staff = User.objects.create_user("bench-staff@example.ac.uk", role=Role.STAFF)
    organisation = Organisation.objects.create(
        name="Bench",
        address="1 High Street",
        kind=OrganisationKind.CHARITY,
        size_band=SizeBand.SMALL,
        sector="Community",
    )
    contact = HostContact.objects.create(organisation=organisation, name="Jo", email="jo@x.test")
    mis = []
    for i in range(m):
        challenge = Challenge.objects.create(
            organisation=organisation,
            contact=contact,
            title=f"Challenge {i}",
            context="A charity.",
            question="?",
            good_outcome="Options.",
        )
        starts = now + timedelta(days=30)
        mis.append(
            MicroInternship.objects.create(
                challenge=challenge,
                reference=f"MI-2099-{i:03d}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=7),
                venue_address="1 High Street",
                capacity=10,
                interest_opens_at=now - timedelta(days=3),
                interest_closes_at=starts - timedelta(days=10),
                state=MicroInternshipState.OPEN,
            )
        )
    students = Student.objects.bulk_create(
        Student(
            student_number=f"B{i:07d}",
            email=f"b{i}@example.ac.uk",
            full_name=f"Student {i}",
            programme=rng.choice(["BA Business", "BSc Computing", "BA History"]),
            carer=rng.random() < 0.2,
        )
        for i in range(n)
    )
    interests = [
        ExpressionOfInterest(
            student=s,
            micro_internship=mi,
            statement="Interested.",
            received_at=now,
            verified_at=now,
            state_changed_at=now,
            state=PlaceState.RECEIVED,
            preference_rank=rank,
        )
        for s in students
        for rank, mi in enumerate(rng.sample(mis, 3), 1)
    ]
    ExpressionOfInterest.objects.bulk_create(interests)
    selection_round = domain.create_round(
        name="Bench", micro_internships=mis, priority=["first_time", "widening_participation"]
    )
    for mi in mis:
        set_interest_window_now(mi, open_it=False)
    started = time.perf_counter()
    dry = domain.dry_run(selection_round, actor=staff)
    dry_run = time.perf_counter() - started
    started = time.perf_counter()
    call_command(
        "allocate", "--round", str(selection_round.pk), "--dry-run", "--json", stdout=StringIO()
    )
    command = time.perf_counter() - started
    probe = start_probe(probe_path) if probe_path else None
    started = time.perf_counter()
    if one_transaction:
        with transaction.atomic():
            domain.publish(selection_round, dry_run_id=dry.pk, actor=staff)
    else:
        domain.publish(selection_round, dry_run_id=dry.pk, actor=staff)
    publish = time.perf_counter() - started
    held = stop_probe(probe) if probe else 0.0
    return {
        "held": held,
        "interests": len(interests),
        "dry_run": dry_run,
        "command": command,
        "publish": publish,
        "per_interest": publish / len(interests),
    }


if __name__ == "__main__":
    main()
