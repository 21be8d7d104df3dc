"""Run the periodic jobs (settings.MICROINTERN_PERIODIC_JOBS) in a loop.

django-tasks has no scheduler, so this small loop is the clock: each job (a dotted path to a
function taking no arguments) runs every so many seconds, in this process. Several loops
may run (one per machine): one of them is the scheduler by lease, the others stand by and
take over when it stops or its lease runs out, and no job starts twice within its interval
(`core.periodic`). `--once` runs the jobs that are due once and exits (for cron or a
systemd timer). Each run is recorded (`PeriodicJobRun`: started, by whom, finished,
succeeded or the error), for the health checks and the staff system page.
"""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from microintern.core.periodic import Scheduler

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic jobs (outbox retries, interest windows, ...) in a loop."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run the jobs that are due once and exit."
        )
        parser.add_argument(
            "--tick", type=float, default=1.0, help="Seconds between checks (default 1)."
        )
        parser.add_argument(
            "--every",
            type=float,
            default=None,
            help="Run every job this often instead of each job's own interval (tests, demos).",
        )
        parser.add_argument(
            "--lease",
            type=float,
            default=settings.PERIODIC_LEASE_SECONDS,
            help="Seconds the scheduler's lease lasts without renewal (PERIODIC_LEASE_SECONDS).",
        )

    def handle(self, *args, once: bool, tick: float, every: float | None, lease: float, **options):
        scheduler = Scheduler(
            jobs={
                path: (import_string(path), every or seconds)
                for path, seconds in settings.MICROINTERN_PERIODIC_JOBS.items()
            },
            lease_seconds=lease,
        )
        if once:
            self.tick(scheduler)
            scheduler.stop()
            return
        self.running = True
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        try:
            while self.running:
                self.tick(scheduler)
                time.sleep(tick)
        finally:
            self.tick_safely(scheduler.stop)

    def stop(self, signum, frame):
        self.running = False

    def tick(self, scheduler: Scheduler) -> None:
        self.tick_safely(scheduler.tick)

    @staticmethod
    def tick_safely(step) -> None:
        """A database that is down for a while stops no loop: it tries again next tick."""
        try:
            step()
        except Exception:
            logger.exception("The periodic scheduler could not reach the database")
