"""Benchmark the outbox: queue N emails, then deliver them with real `db_worker` processes
to a real SMTP server (aiosmtpd on 127.0.0.1), SQLite file or PostgreSQL.

Measures: queue_email calls per second (render + row + task, one transaction per email, as
the web does), and delivery throughput end to end (worker claims the task, leases the row,
SMTP conversation, marks it sent) with 1 and 2 workers. Checks every email arrived once.

Usage::

    .venv/bin/python bench/bench_outbox.py --emails 500                       # SQLite (temp)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h4bench \\
        .venv/bin/python bench/bench_outbox.py --emails 500                   # PostgreSQL

(The PostgreSQL database must exist; its outbox and task tables are emptied first.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _database import run_manage  # noqa: E402

from tests.smtp_sink import SinkHandler, free_port  # noqa: E402

QUEUE = """
import time
from django.db import transaction
from microintern.mail.models import OutboundMessage
from django_tasks_db.models import DBTaskResult
from microintern.mail.outbox import queue_email
OutboundMessage.objects.all().delete(); DBTaskResult.objects.all().delete()
start = time.perf_counter()
for n in range({n}):
    with transaction.atomic():
        queue_email("place_withdrawn", to=f"student{{n}}@example.ac.uk",
            context={{"student": {{"display_name": f"Student {{n}}"}},
                      "mi": {{"title": "Volunteer recruitment", "reference": "MI-2026-001"}}}})
print(time.perf_counter() - start)
"""
COUNT_SENT = """
from microintern.mail.models import OutboundMessage
print(OutboundMessage.objects.filter(state="sent").count())
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=500)
    args = parser.parse_args()
    from aiosmtpd.controller import Controller

    tmp = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    database = os.environ.get("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "MICROINTERN_VAR_DIR": str(tmp / "var"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }

    def manage(*command: str) -> str:
        return run_manage(env, *command)

    manage("migrate", "--no-input")
    engine = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    print("| Database | Workers | Emails | queue_email per s | Delivered per s | Once each |")
    print("|---|---|---|---|---|---|")
    for workers in (1, 2):
        handler.received.clear()
        queued_in = float(manage("shell", "-c", QUEUE.format(n=args.emails)).split()[-1])
        start = time.perf_counter()
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "microintern",
                    "db_worker",
                    "--batch",
                    "--no-reload",
                    "--interval",
                    "0",
                    "--no-startup-delay",
                    "--worker-id",
                    f"bench-{i}",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i in range(workers)
        ]
        for process in processes:
            process.wait()
        elapsed = time.perf_counter() - start
        sent = int(manage("shell", "-c", COUNT_SENT).split()[-1])
        addresses = [r.rcpt_tos[0] for r in handler.received]
        once = sent == args.emails and len(addresses) == len(set(addresses)) == args.emails
        print(
            f"| {engine} | {workers} | {args.emails} | {args.emails / queued_in:.0f} "
            f"| {args.emails / elapsed:.0f} | {'yes' if once else 'NO'} |"
        )
    controller.stop()


if __name__ == "__main__":
    main()
