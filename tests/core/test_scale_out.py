"""The site scaled out as on two machines: two web servers, two task workers and two
schedulers on one PostgreSQL and one Redis (tasks on RQ), all real processes.

Visitors send interest forms to either web server, each queuing an acknowledgement email
that a worker sends to a real SMTP server (aiosmtpd). One scheduler is killed on the way.
Then: every email arrived exactly once, every task ran (none waiting, running or failed),
no periodic job ran twice in a period (the survivor took over the schedule), and the cache
is shared (sign-in code requests sent to both web servers are counted once, so the limit is
the limit and not twice it).

Everything the servers read is made by subprocesses, on the machine's clock, so the test
runs in CI's PostgreSQL pass even with this process's clock moved.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
import requests
from django.conf import settings
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

from microintern.core.models import PeriodicJobRun, SchedulerLease
from microintern.mail.models import OutboundMessage
from tests import smtp_sink as sink
from tests.accounts.test_shared_cache import (
    CODES_AN_HOUR,
    EMAIL,
    MAKE_STAFF,
    Site,
    ask_for_a_code,
    redis_answers,
    subprocess_environment,
)
from tests.mail.test_outbox_worker import database_url, wait_until

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.timeout(300),
]

CACHE_REDIS = "redis://127.0.0.1:6379/12"
QUEUE_REDIS = "redis://127.0.0.1:6379/13"  # RQ's keys have no prefix: a database of its own
INTERESTS = 16
CODE_REQUESTS = 9
EVERY = 2  # seconds: every periodic job, in this test
LEASE = 3  # seconds: a killed scheduler's lease runs out after this
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

OPEN_MICRO_INTERNSHIP = """
from tests.programme.factories import MicroInternshipFactory
print(MicroInternshipFactory(open_now=True).reference)
"""


def empty_queue_database() -> None:
    client = redis.Redis.from_url(QUEUE_REDIS)
    keys = list(client.scan_iter("rq:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def two_machines(tmp_path, smtp_sink):
    """Two of each process, as two machines would run them, against this test's database."""
    if not redis_answers():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Redis at 127.0.0.1:6379, but it does not answer.")
        pytest.skip("no Redis answers at 127.0.0.1:6379")
    empty_queue_database()
    prefix = f"test-scale-out-{uuid.uuid4().hex}"
    env = subprocess_environment(
        DATABASE_URL=database_url(tmp_path),
        MICROINTERN_VAR_DIR=str(tmp_path / "var"),
        REDIS_URL=CACHE_REDIS,
        MICROINTERN_CACHE_KEY_PREFIX=prefix,
        TASKS_BACKEND="rq",
        TASKS_REDIS_URL=QUEUE_REDIS,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}",
    )
    machines = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        machines.append(Site(tmp_path / name, env))
    first = machines[0]
    first.manage("shell", "-c", MAKE_STAFF)
    reference = first.manage("shell", "-c", OPEN_MICRO_INTERNSHIP).split()[-1]
    background: list[subprocess.Popen] = []

    def start(machine: Site, name: str, *args: str) -> subprocess.Popen:
        log = (machine.access_log.parent / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "microintern", *args], env=env, stdout=log, stderr=log
        )
        background.append(process)
        return process

    for machine in machines:
        machine.start()
    schedule_started = time.monotonic()
    for machine in machines:
        machine.worker = start(machine, "worker", "rqworker", "--with-scheduler", "default")
        machine.scheduler = start(
            machine,
            "scheduler",
            *("run_periodic", "--every", str(EVERY), "--tick", "0.2", "--lease", str(LEASE)),
        )
    yield machines, reference, schedule_started
    for process in [m.process for m in machines] + background:
        if process.poll() is None:
            process.terminate()
    for machine in machines:
        machine.stop()
    for process in background:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    empty_queue_database()
    cache = redis.Redis.from_url(CACHE_REDIS)
    keys = list(cache.scan_iter(f"{prefix}:*"))
    if keys:
        cache.delete(*keys)


def send_interest(site: Site, reference: str, n: int) -> None:
    session = requests.Session()
    form = session.get(f"{site.url}/my/interest/{reference}/", timeout=20)
    answer = session.post(
        f"{site.url}/my/interest/{reference}/",
        data={
            "csrfmiddlewaretoken": CSRF_TOKEN.search(form.text).group(1),
            "full_name": f"Student {n}",
            "email": f"student{n}@example.ac.uk",
            "student_number": f"S{7000000 + n}",
            "statement": "I can give a day in the week and would like to help.",
            "access_needs": "",
            "can_attend": "on",
        },
        allow_redirects=False,
        timeout=20,
    )
    assert answer.status_code == 302, answer.text[:2000]


def in_threads(count: int, work) -> None:
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_two_machines_send_every_email_once_run_every_task_and_share_schedule_and_cache(
    two_machines, smtp_sink
):
    machines, reference, schedule_started = two_machines
    smtp_sink.rcpt_delay = 0.2  # each email takes a while, so both workers have work

    # Interest forms, half to each web server, four visitors at a time.
    def visitor(first: int) -> None:
        for n in range(first, INTERESTS, 4):
            send_interest(machines[n % 2], reference, n)

    in_threads(4, visitor)
    assert {pid for m in machines for pid in m.workers_of("POST", f"/my/interest/{reference}/")}

    # Sign-in code requests for one address from one place, alternating web servers.
    answers = [ask_for_a_code(machines[n % 2], EMAIL) for n in range(CODE_REQUESTS)]
    assert answers.count(302) == CODES_AN_HOUR, answers

    # The scheduler dies without giving its lease back; the other machine's takes over.
    wait_until(lambda: SchedulerLease.objects.exists(), what="a scheduler")
    holder_pid = int(SchedulerLease.objects.get().holder.split(":")[1])
    killed = next(m for m in machines if m.scheduler.pid == holder_pid)
    survivor = next(m for m in machines if m is not killed)
    killed.scheduler.send_signal(signal.SIGKILL)
    killed.scheduler.wait()
    killed_at = time.monotonic()
    wait_until(
        lambda: SchedulerLease.objects.get().holder.split(":")[1] == str(survivor.scheduler.pid),
        timeout=LEASE + 10,
        what="the other scheduler to take over",
    )

    # Every email once.
    expected = {f"student{n}@example.ac.uk" for n in range(INTERESTS)}
    wait_until(
        lambda: (
            OutboundMessage.objects.count() >= INTERESTS
            and not OutboundMessage.objects.exclude(state="sent").exists()
        ),
        timeout=120,
        what="every email sent",
    )
    time.sleep(2 * EVERY + 1)  # time for a duplicate to show up, and for more periodic runs
    messages = dict(OutboundMessage.objects.values_list("message_id", "to"))
    received = [r.message_id for r in smtp_sink.received]
    assert sorted(received) == sorted(messages), "an email was lost or sent twice"
    assert expected <= set(messages.values())
    assert sorted(to for to in messages.values() if to in expected) == sorted(expected)

    # Every task ran, on both workers; none waits, runs or failed.
    connection = redis.Redis.from_url(QUEUE_REDIS)
    queue = Queue("default", connection=connection)
    # The registries read straight from Redis: RQ's own readers drop entries older than
    # their time to live by this process's clock, which CI moves.
    registries = {
        kind: [j.decode() for j in connection.zrange(registry(queue=queue).key, 0, -1)]
        for kind, registry in [
            ("started", StartedJobRegistry),
            ("failed", FailedJobRegistry),
            ("finished", FinishedJobRegistry),
        ]
    }
    assert queue.count == 0
    assert registries["started"] == registries["failed"] == []
    finished = registries["finished"]
    assert len(finished) >= len(messages)  # one delivery task per email, at least
    workers = {
        Job.fetch(job_id, connection=connection).latest_result().worker_name for job_id in finished
    }
    assert len(workers) == 2, workers

    # No periodic job ran twice in a period: across both schedulers and the hand-over, each
    # job started at most once per EVERY seconds, and the survivor holds the schedule.
    elapsed = time.monotonic() - schedule_started  # two schedulers would run each job twice
    runs = list(PeriodicJobRun.objects.all())
    assert {run.path for run in runs} == set(settings.MICROINTERN_PERIODIC_JOBS)
    for run in runs:
        assert 2 <= run.run_count <= elapsed // EVERY + 1, (run.path, run.run_count, elapsed)
        assert run.last_run_by.split(":")[1] == str(survivor.scheduler.pid)
    assert time.monotonic() - killed_at > LEASE
