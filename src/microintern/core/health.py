"""Health checks: is each part the site depends on working now?

Each check is a function of no arguments returning a `Check`; the list is
settings.MICROINTERN_HEALTH_CHECKS (dotted paths, as for the periodic jobs), so that each app
checks its own part (the outbox its backlog, the inbound mail its polls) and core knows none
of them. A check that raises counts as failing, with the error's class as the detail. Details
are counts and ages only, never a person's data: `/healthz` shows them to anyone (a load
balancer, a monitor); the staff system page shows the same with the periodic jobs' runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, F, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import PeriodicJobRun

WORKER_LATE = timedelta(minutes=5)  # a task ready this long and not started: no worker


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks() -> list[Check]:
    """Every configured check, in order; one that raises is reported failing."""
    results = []
    for path in settings.MICROINTERN_HEALTH_CHECKS:
        try:
            results.append(import_string(path)())
        except Exception as error:  # noqa: BLE001 - a broken part must show, not stop the page
            results.append(Check(path.rsplit(".", 1)[-1], False, type(error).__name__))
    return results


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Check("database", True, connection.vendor)


def shared_cache() -> Check:
    """Failing when the cache does not read back what it wrote, or when it is Redis and may
    evict keys: rate-limit counts and used sign-in codes live there and must not vanish."""
    key, token = "microintern.health", secrets.token_hex(8)
    cache.set(key, token, 30)
    if cache.get(key) != token:
        return Check("cache", False, "did not read back what it wrote")
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        policy = _redis_eviction_policy()
        if policy != "noeviction":
            return Check(
                "cache",
                False,
                f"Redis maxmemory-policy is {policy}: set noeviction, or rate limits and used "
                "codes can be dropped",
            )
        return Check("cache", True, "Redis, writes and reads back, never evicts")
    return Check("cache", True, "writes and reads back")


def _redis_eviction_policy() -> str:
    client = cache._cache.get_client(write=False)  # Django's RedisCache keeps its client there
    try:
        return client.config_get("maxmemory-policy").get("maxmemory-policy", "unknown")
    except Exception as error:  # noqa: BLE001 - managed Redis may refuse CONFIG
        return f"unknown ({type(error).__name__}: CONFIG GET refused)"


def task_worker() -> Check:
    """Failing when a task has been ready to run for WORKER_LATE without a worker taking it
    (the database task backend; other backends keep their own queue)."""
    backend = settings.TASKS["default"]["BACKEND"]
    if backend == settings.TASKS_BACKENDS["rq"]:
        return _rq_worker()
    if backend != "django_tasks_db.DatabaseBackend":
        return Check("task worker", True, f"not checked here ({backend.rsplit('.', 1)[-1]})")
    from django_tasks_db.models import DBTaskResult  # noqa: PLC0415 - only with this backend

    now = timezone.now()
    ready = DBTaskResult.objects.ready()
    # Ready since it was enqueued, or since its run-after time for a deferred task.
    since = ready.annotate(
        since=Case(
            When(run_after__lte=now, then=Greatest("run_after", "enqueued_at")),
            default=F("enqueued_at"),
        )
    )
    oldest = since.order_by("since").values_list("since", flat=True).first()
    if oldest is not None and now - oldest > WORKER_LATE:
        minutes = int((now - oldest).total_seconds() // 60)
        return Check(
            "task worker", False, f"{ready.count()} tasks waiting, the oldest {minutes} min"
        )
    return Check("task worker", True, f"{ready.count()} tasks waiting")


def _rq_worker() -> Check:
    """The RQ backend: failing when no RQ worker is alive (each renews its own key in
    Redis, so a killed one drops out) or the oldest task in a queue has waited WORKER_LATE."""
    from redis import Redis  # noqa: PLC0415 - only with this backend
    from rq import Queue, Worker  # noqa: PLC0415 - only with this backend

    connection = Redis.from_url(settings.TASKS_REDIS_URL, socket_timeout=5)
    queues = [Queue(name, connection=connection) for name in settings.TASKS["default"]["QUEUES"]]
    waiting = sum(queue.count for queue in queues)
    workers = len(Worker.all(connection=connection))
    if not workers:
        return Check("task worker", False, f"no RQ worker is running, {waiting} tasks waiting")
    oldest = min(
        (job.enqueued_at for queue in queues for job in queue.get_jobs(0, 0) if job.enqueued_at),
        default=None,
    )
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
        late = timezone.now() - oldest
        if late > WORKER_LATE:
            minutes = int(late.total_seconds() // 60)
            return Check(
                "task worker",
                False,
                f"{waiting} tasks waiting, the oldest {minutes} min ({workers} RQ workers)",
            )
    return Check("task worker", True, f"{waiting} tasks waiting, {workers} RQ workers")


def periodic_jobs() -> Check:
    """Failing when a configured job has not finished a run within three of its intervals
    (at least 10 minutes), or its last run failed."""
    now = timezone.now()
    runs = {run.path: run for run in PeriodicJobRun.objects.all()}
    late, failed = [], []
    for path, seconds in settings.MICROINTERN_PERIODIC_JOBS.items():
        run = runs.get(path)
        allowed = max(timedelta(seconds=3 * seconds), timedelta(minutes=10))
        if run is None or run.last_finished_at is None or now - run.last_finished_at > allowed:
            late.append(path.rsplit(".", 1)[-1])
        elif run.last_succeeded_at != run.last_finished_at:
            failed.append(path.rsplit(".", 1)[-1])
    if late or failed:
        parts = [
            f"late: {', '.join(late)}" if late else "",
            f"failed: {', '.join(failed)}" if failed else "",
        ]
        return Check("periodic jobs", False, "; ".join(p for p in parts if p))
    return Check("periodic jobs", True, f"{len(settings.MICROINTERN_PERIODIC_JOBS)} on time")
