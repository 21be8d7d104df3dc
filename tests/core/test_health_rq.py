"""The task-worker health check with the RQ backend, against a real Redis: a queue nobody
works, a worker that is alive, and a task left waiting too long each read as they are."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from rq import Queue, Worker

from microintern.core import health

REDIS_URL = "redis://127.0.0.1:6379/15"
NOON = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def rq_backend(settings):
    """Tasks on RQ in a Redis database of their own, emptied before and after."""
    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        connection.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Redis at {REDIS_URL}, but it does not answer.")
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    # Workers are seen database-wide: tests on other pytest workers wait their turn.
    turn = redis.Redis.from_url("redis://127.0.0.1:6379/0").lock("microintern-test-health-rq", 60)
    turn.acquire(blocking_timeout=60)
    connection.flushdb()
    queue_name = f"health-{uuid.uuid4().hex[:8]}"
    settings.TASKS = {"default": {"BACKEND": settings.TASKS_BACKENDS["rq"], "QUEUES": [queue_name]}}
    settings.TASKS_REDIS_URL = REDIS_URL
    yield Queue(queue_name, connection=connection)
    connection.flushdb()
    turn.release()


def test_no_rq_worker_alive_fails_and_says_so(rq_backend):
    with time_machine.travel(NOON, tick=False):
        rq_backend.enqueue("os.getpid")
        check = health.task_worker()
    assert not check.ok
    assert check.detail == "no RQ worker is running, 1 tasks waiting"


def test_a_live_worker_with_a_fresh_task_is_healthy(rq_backend):
    worker = Worker([rq_backend], connection=rq_backend.connection)
    worker.register_birth()
    with time_machine.travel(NOON, tick=False):
        rq_backend.enqueue("os.getpid")
    with time_machine.travel(NOON + timedelta(minutes=4), tick=False):
        check = health.task_worker()
    assert check.ok, check.detail
    assert check.detail == "1 tasks waiting, 1 RQ workers"


def test_a_task_waiting_past_the_limit_fails_even_with_a_worker(rq_backend):
    worker = Worker([rq_backend], connection=rq_backend.connection)
    worker.register_birth()
    with time_machine.travel(NOON, tick=False):
        rq_backend.enqueue("os.getpid")
    with time_machine.travel(NOON + timedelta(minutes=6), tick=False):
        check = health.task_worker()
    assert not check.ok
    assert check.detail == "1 tasks waiting, the oldest 6 min (1 RQ workers)"


def test_a_dead_worker_drops_out(rq_backend):
    worker = Worker([rq_backend], connection=rq_backend.connection)
    worker.register_birth()
    worker.register_death()
    check = health.task_worker()
    assert not check.ok and check.detail.startswith("no RQ worker is running")
