"""Kill the real task worker in the middle of sending and start it again: every email
arrives exactly once (outside the documented window), nothing is lost.

The worker (`python -m microintern db_worker`) and the periodic loop run as subprocesses
against a database they share with this test: on PostgreSQL (DATABASE_URL set, as in CI)
pytest-django's test database; on SQLite a file database made for the test (pytest-django's
in-memory SQLite is invisible to other processes). Mail goes to a real aiosmtpd server.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests import smtp_sink as sink

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
    pytest.mark.slow,
]

COUNT = 10
LEASE_SECONDS = 3

QUEUE_SCRIPT = """
from django.db import transaction
from microintern.mail.outbox import queue_email
with transaction.atomic():
    for n in range({count}):
        queue_email(
            "place_withdrawn",
            to=f"student{{n}}@example.ac.uk",
            context={{"student": {{"display_name": f"Student {{n}}"}},
                      "mi": {{"title": "Volunteer recruitment", "reference": "MI-2026-001"}}}},
        )
"""
STATE_SCRIPT = """
import json
from microintern.mail.models import OutboundMessage as M
rows = M.objects.order_by("to").values_list("to", "state", "attempts", "message_id")
print(json.dumps(list(rows)))
"""


def database_url(tmp_path: Path) -> str:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        return (
            f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@"
            f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
        )
    return f"sqlite:///{tmp_path / 'outbox.sqlite3'}"


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """One migrated SQLite file for the module; each test works on its own copy."""
    directory = tmp_path_factory.mktemp("outbox-db")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{directory / 'template.sqlite3'}",
        "MICROINTERN_VAR_DIR": str(directory / "var"),
    }
    subprocess.run(
        [sys.executable, "-m", "microintern", "migrate", "--no-input"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return directory / "template.sqlite3"


@pytest.fixture
def world(tmp_path, smtp_sink, request):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(tmp_path),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOX_FIRST_RETRY_SECONDS": "3",
        "MICROINTERN_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    processes = []

    def manage(*args, timeout=120) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "microintern", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(*args) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "microintern", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        return process

    def states() -> dict[str, tuple[str, int, str]]:
        rows = json.loads(manage("shell", "-c", STATE_SCRIPT).strip().splitlines()[-1])
        return {to: (state, attempts, message_id) for to, state, attempts, message_id in rows}

    if connection.vendor != "postgresql":
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / "outbox.sqlite3")
    world = type("World", (), {"manage": manage, "start": start, "states": states})
    yield world
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


WORKER = ["db_worker", "--queue-name", "default", "--interval", "0.1", "--no-startup-delay"]


def wait_until(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}")
        time.sleep(0.02)


def test_killing_the_worker_mid_batch_neither_loses_nor_duplicates_an_email(world, smtp_sink):
    smtp_sink.rcpt_delay = 0.3  # a slow server: the worker spends its time before DATA
    world.manage("shell", "-c", QUEUE_SCRIPT.format(count=COUNT))
    worker = world.start(*WORKER, "--no-reload")
    # Kill while message 4 is in the middle of its SMTP conversation (at RCPT).
    wait_until(lambda: len(smtp_sink.received) >= 3 and len(smtp_sink.rcpt_started) >= 4)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    arrived_before_kill = len(smtp_sink.received)
    assert 3 <= arrived_before_kill < COUNT
    interrupted = [to for to, (state, _n, _id) in world.states().items() if state == "sending"]
    assert len(interrupted) == 1  # claimed, lease held, not delivered

    world.start(*WORKER, "--no-reload")
    world.start("run_periodic", "--every", "1", "--tick", "0.2")
    wait_until(lambda: len(smtp_sink.received) >= COUNT, what="all emails")
    time.sleep(LEASE_SECONDS + 2)  # long enough for any duplicate to show up

    recipients = sorted(to for r in smtp_sink.received for to in r.rcpt_tos)
    assert recipients == sorted(f"student{n}@example.ac.uk" for n in range(COUNT))
    final = world.states()
    assert {state for state, _n, _id in final.values()} == {"sent"}
    assert final[interrupted[0]][1] == 2  # the interrupted one took a second attempt
    by_address = {r.rcpt_tos[0]: r.message_id for r in smtp_sink.received}
    assert all(by_address[to] == message_id for to, (_s, _n, message_id) in final.items())


def test_the_documented_window_a_kill_after_the_server_accepted_resends_the_same_message_id(
    world, smtp_sink
):
    """At-least-once: if the server has the whole message but the worker dies before it
    records "sent", the retry delivers a second copy carrying the same Message-ID."""
    smtp_sink.data_delay = 2.0  # the server accepts, then is slow to say so
    world.manage("shell", "-c", QUEUE_SCRIPT.format(count=2))
    worker = world.start(*WORKER, "--no-reload")
    wait_until(lambda: len(smtp_sink.received) >= 1)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    smtp_sink.data_delay = 0.0
    world.start(*WORKER, "--no-reload")
    world.start("run_periodic", "--every", "1", "--tick", "0.2")
    wait_until(lambda: len(smtp_sink.received) >= 3, what="the retry")
    first = smtp_sink.received[0]
    copies = smtp_sink.to(first.rcpt_tos[0])
    assert len(copies) == 2
    assert copies[0].message_id == copies[1].message_id
    assert {state for state, _n, _id in world.states().values()} == {"sent"}


def test_a_temporary_refusal_is_retried_by_the_worker_after_the_back_off(world, smtp_sink):
    """The worker re-enqueues the message to run after the back-off (the database backend
    can defer tasks); no periodic loop is needed for it."""
    smtp_sink.refuse["student0@example.ac.uk"] = (451, "4.7.1 Greylisted, try again later")
    world.manage("shell", "-c", QUEUE_SCRIPT.format(count=2))
    world.start(*WORKER, "--no-reload")
    wait_until(lambda: "student0@example.ac.uk" in smtp_sink.rcpt_started, what="attempt 1")
    time.sleep(0.5)  # refused by now; the retry is due 3 s after it
    del smtp_sink.refuse["student0@example.ac.uk"]
    assert smtp_sink.to("student0@example.ac.uk") == []
    wait_until(lambda: len(smtp_sink.received) >= 2, what="the retry")
    final = world.states()
    assert final["student0@example.ac.uk"][:2] == ("sent", 2)
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == [
        "student0@example.ac.uk",
        "student1@example.ac.uk",
    ]
