"""The periodic jobs' scheduler: one at a time by lease, each job once per period.

Any number of `run_periodic` processes may run (one per machine, say, so that losing a
machine loses no scheduler). They agree in the database, so it works alike on SQLite and
PostgreSQL:

- **One scheduler by lease.** The process holding the `SchedulerLease` row runs the jobs;
  it renews the lease while it runs and gives it back when it stops. The others wait: one
  whose holder crashed takes the lease once it has run out (`PERIODIC_LEASE_SECONDS`).
- **Each job once per period.** A run is claimed by moving the job's `last_started_at`
  forward with one conditional UPDATE, only if a whole interval has passed since the last
  start. So even at a hand-over (or with a job longer than the lease, when another process
  may take over meanwhile), two processes never start the same job within one interval.

Times are the processes' own clocks (the machines' clocks must agree to well within a
lease, which NTP gives).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from .domain import record_job_end
from .models import PeriodicJobRun, SchedulerLease

logger = logging.getLogger(__name__)

LEASE_NAME = "periodic"


def scheduler_name() -> str:
    """This process as a lease holder: host, pid and a random suffix (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def hold_lease(holder: str, seconds: float, *, name: str = LEASE_NAME) -> datetime | None:
    """Take the lease `name` for `holder`, or renew it, for `seconds` from now.

    Succeeds when nobody holds it, when `holder` already does, or when the last holder's
    lease has run out (a crashed process); returns the new expiry, or None when another
    process holds it. A waiting process only reads, so standing by costs no write lock.
    """
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    current = SchedulerLease.objects.filter(name=name).first()
    if current is None:
        try:
            with transaction.atomic():
                SchedulerLease.objects.create(
                    name=name, holder=holder, acquired_at=now, expires_at=until
                )
        except IntegrityError:  # another process made it first
            return None
        logger.info("Scheduler %s took the lease %s", holder, name)
        return until
    if current.holder == holder:
        renewed = SchedulerLease.objects.filter(name=name, holder=holder).update(expires_at=until)
        return until if renewed else None
    if current.expires_at > now:
        return None
    taken = SchedulerLease.objects.filter(
        name=name, holder=current.holder, expires_at=current.expires_at
    ).update(holder=holder, acquired_at=now, expires_at=until)
    if taken:
        logger.warning(
            "Scheduler %s took the lease %s from %s, whose lease ran out at %s",
            holder,
            name,
            current.holder,
            current.expires_at.isoformat(),
        )
    return until if taken else None


def release_lease(holder: str, *, name: str = LEASE_NAME) -> None:
    """Give the lease back (a process that stops cleanly), so another takes it at once."""
    SchedulerLease.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())


def claim_run(path: str, interval_seconds: float, holder: str) -> PeriodicJobRun | None:
    """Start a run of job `path` if a whole interval has passed since its last start (or it
    never ran): one conditional UPDATE, so of several processes asking at once exactly one
    gets it. Returns the job's row, or None when it is not due or another process claimed
    it. Records the start, who started it and one more run."""
    now = timezone.now()
    due_before = now - timedelta(seconds=interval_seconds)
    claimed = PeriodicJobRun.objects.filter(path=path, last_started_at__lte=due_before).update(
        last_started_at=now, last_run_by=holder, run_count=F("run_count") + 1
    )
    if claimed:
        return PeriodicJobRun.objects.get(path=path)
    if PeriodicJobRun.objects.filter(path=path).exists():
        return None
    try:
        with transaction.atomic():
            return PeriodicJobRun.objects.create(
                path=path, last_started_at=now, last_run_by=holder, run_count=1
            )
    except IntegrityError:  # another process started its first run just now
        return None


@dataclass
class Scheduler:
    """One `run_periodic` process: `tick()` runs the jobs that are due while it holds the
    lease. `jobs` maps each job's dotted path to its function and interval in seconds."""

    jobs: dict[str, tuple[Callable[[], object], float]]
    lease_seconds: float
    holder: str = field(default_factory=scheduler_name)
    lease_until: datetime | None = None

    def holds_lease(self) -> bool:
        """True while this process holds the lease, renewing it once half of it has gone
        (so a holder writes about twice a lease, not at every tick)."""
        now = timezone.now()
        if self.lease_until and self.lease_until - now > timedelta(seconds=self.lease_seconds / 2):
            return True
        self.lease_until = hold_lease(self.holder, self.lease_seconds)
        return self.lease_until is not None

    def tick(self) -> list[str]:
        """Run every job that is due, if this process is the scheduler; the paths run."""
        ran = []
        for path, (job, seconds) in self.jobs.items():
            if not self.holds_lease():
                break
            run = claim_run(path, seconds, self.holder)
            if run is not None:
                run_job(path, job, run)
                ran.append(path)
        return ran

    def stop(self) -> None:
        if self.lease_until is not None:
            release_lease(self.holder)
            self.lease_until = None


def run_job(path: str, job: Callable[[], object], run: PeriodicJobRun) -> None:
    """Run one claimed job and record how it ended; a record that cannot be written (the
    database is down, say) never stops the scheduler."""
    close_old_connections()
    try:
        result = job()
    except Exception as error:
        logger.exception("Periodic job %s failed", path)
        _record(run, error=f"{type(error).__name__}: {error}"[:1000])
    else:
        _record(run)
        if result:
            logger.info("Periodic job %s: %s", path, result)
    finally:
        close_old_connections()


def _record(run: PeriodicJobRun, error: str = "") -> None:
    try:
        record_job_end(run, error=error)
    except Exception:
        logger.exception("A periodic job's run could not be recorded")
