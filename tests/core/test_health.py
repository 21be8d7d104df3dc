"""/healthz and the staff system page say whether each part works, as a monitor would ask:
every check is made to fail the way it fails in production, and the answer must say so."""

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from microintern.core.models import PeriodicJobRun
from microintern.mail.enums import MessageState
from microintern.mail.inbound.models import Mailbox
from microintern.mail.models import OutboundMessage
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db

NOON = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def failing_job():
    raise RuntimeError("the student record server did not answer")


def every_job_ran(at):
    for path in settings.MICROINTERN_PERIODIC_JOBS:
        PeriodicJobRun.objects.create(
            path=path, last_started_at=at, last_finished_at=at, last_succeeded_at=at
        )


def health(client):
    response = client.get("/healthz")
    return response.status_code, {c["name"]: c for c in response.json()["checks"]}, response


def test_everything_working_is_200(client):
    with time_machine.travel(NOON, tick=False):
        every_job_ran(timezone.now())
        status, checks, response = health(client)
    assert status == 200 and response.json()["status"] == "ok"
    assert set(checks) == {
        "database",
        "cache",
        "task worker",
        "periodic jobs",
        "outbox",
        "mailboxes",
    }
    assert all(c["ok"] for c in checks.values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_email_stuck_in_the_queue_is_503_without_saying_to_whom(client):
    with time_machine.travel(NOON, tick=False):
        every_job_ran(timezone.now())
        OutboundMessage.objects.create(
            role="place_offered",
            to="amira.hassan@example.ac.uk",
            subject="A place for you",
            body="Hello Amira",
            state=MessageState.QUEUED,
            queued_at=timezone.now() - timedelta(minutes=20),
        )
        status, checks, response = health(client)
    assert status == 503 and response.json()["status"] == "failing"
    assert not checks["outbox"]["ok"]
    assert checks["outbox"]["detail"].startswith("1 queued, 1 waiting over 15 min")
    assert "amira" not in response.content.decode().lower()


def test_a_late_or_failed_periodic_job_is_named(client):
    with time_machine.travel(NOON, tick=False):
        every_job_ran(timezone.now())
        two_hours_ago = timezone.now() - timedelta(hours=2)
        PeriodicJobRun.objects.filter(path__endswith="expire_offers").update(
            last_finished_at=two_hours_ago, last_succeeded_at=two_hours_ago
        )
        PeriodicJobRun.objects.filter(path__endswith="invite_due").update(
            last_succeeded_at=two_hours_ago, last_error="RuntimeError: no"
        )
        status, checks, _ = health(client)
    assert status == 503
    assert checks["periodic jobs"] == {
        "name": "periodic jobs",
        "ok": False,
        "detail": "late: expire_offers; failed: invite_due",
    }


def test_a_job_that_has_never_run_is_late(client):
    status, checks, _ = health(client)
    assert status == 503
    assert checks["periodic jobs"]["detail"].startswith("late: retry_due")


def test_a_mailbox_not_polled_lately_is_named(client):
    with time_machine.travel(NOON, tick=False):
        every_job_ran(timezone.now())
        Mailbox.objects.create(
            name="interest",
            host="127.0.0.1",
            username="interest@example.ac.uk",
            last_polled_at=timezone.now() - timedelta(minutes=30),
        )
        Mailbox.objects.create(
            name="paused", host="127.0.0.1", username="old@example.ac.uk", active=False
        )
        status, checks, _ = health(client)
    assert status == 503
    assert checks["mailboxes"]["detail"] == "not polled lately: interest"


def test_a_task_nobody_runs_shows_the_worker_is_missing(client, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "ENQUEUE_ON_COMMIT": False}
    }
    from microintern.mail.outbox import deliver_message  # noqa: PLC0415 - backend set above

    with time_machine.travel(NOON, tick=False):
        every_job_ran(NOON + timedelta(minutes=10))
        deliver_message.enqueue(1)
    with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
        status, checks, _ = health(client)
    assert status == 503
    assert checks["task worker"]["detail"] == "1 tasks waiting, the oldest 10 min"


@pytest.mark.django_db(transaction=True)  # run_periodic closes connections as in production
def test_run_periodic_records_each_run_and_the_error_of_a_failing_job(settings):
    settings.MICROINTERN_PERIODIC_JOBS = {
        "microintern.mail.outbox.retry_due": 30,
        "tests.core.test_health.failing_job": 60,
    }
    call_command("run_periodic", "--once")
    runs = {r.path: r for r in PeriodicJobRun.objects.all()}
    assert runs["microintern.mail.outbox.retry_due"].last_succeeded_at is not None
    failed = runs["tests.core.test_health.failing_job"]
    assert failed.last_succeeded_at is None
    assert failed.last_error == "RuntimeError: the student record server did not answer"


@pytest.mark.django_db(transaction=True)
def test_staff_read_the_checks_and_the_last_runs_others_cannot(client, make_user, settings):
    settings.MICROINTERN_PERIODIC_JOBS = {"tests.core.test_health.failing_job": 60}
    call_command("run_periodic", "--once")
    sign_in(client, make_user("staff"))
    page = client.get("/staff/system/").content.decode()
    assert "Failed: RuntimeError: the student record server did not answer" in page
    assert '<th scope="row">Periodic jobs</th>' in page
    client.logout()
    sign_in(client, make_user("student"))
    assert client.get("/staff/system/").status_code in {302, 403}


@pytest.fixture
def redis_cache(settings):
    """The shared cache on the real Redis of this machine (database 9)."""
    redis = pytest.importorskip("redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/9",
        }
    }
    client = redis.Redis.from_url("redis://127.0.0.1:6379/9")
    try:
        before = client.config_get("maxmemory-policy")["maxmemory-policy"]
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Redis on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379 (CI starts one)")
    yield client
    client.config_set("maxmemory-policy", before)


def test_redis_that_never_evicts_passes_and_one_that_evicts_fails(redis_cache):
    from microintern.core.health import shared_cache  # noqa: PLC0415

    redis_cache.config_set("maxmemory-policy", "noeviction")
    assert shared_cache().ok
    redis_cache.config_set("maxmemory-policy", "allkeys-lru")
    check = shared_cache()
    assert not check.ok
    assert check.detail.startswith("Redis maxmemory-policy is allkeys-lru: set noeviction")
