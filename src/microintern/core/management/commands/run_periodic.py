"""Run the periodic jobs (settings.MICROINTERN_PERIODIC_JOBS) in a loop.

django-tasks has no scheduler, so this small loop is the clock: each job (a dotted path to a
function taking no arguments) runs every so many seconds, in this process. Jobs are short
and idempotent (they mostly enqueue tasks for the worker), so running two loops by mistake
does no harm. `--once` runs every job once and exits (for cron or a systemd timer). Each
run is recorded (`PeriodicJobRun`: started, finished, succeeded or the error), for the health
checks and the staff system page.
"""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string

from microintern.core.domain import record_job_end, record_job_start

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic jobs (outbox retries, interest windows, ...) in a loop."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument(
            "--tick", type=float, default=1.0, help="Seconds between checks (default 1)."
        )
        parser.add_argument(
            "--every",
            type=float,
            default=None,
            help="Run every job this often instead of each job's own interval (tests, demos).",
        )

    def handle(self, *args, once: bool, tick: float, every: float | None, **options):
        jobs = {
            path: (import_string(path), every or seconds)
            for path, seconds in settings.MICROINTERN_PERIODIC_JOBS.items()
        }
        if once:
            for path, (job, _seconds) in jobs.items():
                self.run_job(path, job)
            return
        self.running = True
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        due = dict.fromkeys(jobs, 0.0)
        while self.running:
            now = time.monotonic()
            for path, (job, seconds) in jobs.items():
                if now >= due[path]:
                    self.run_job(path, job)
                    due[path] = now + seconds
            time.sleep(tick)

    def stop(self, signum, frame):
        self.running = False

    def run_job(self, path: str, job) -> None:
        """Run one job; its run is recorded, but a record that cannot be written (the
        database is down, say) never stops the job itself."""
        close_old_connections()
        run = self.record(record_job_start, path)
        try:
            result = job()
        except Exception as error:
            logger.exception("Periodic job %s failed", path)
            if run is not None:
                self.record(record_job_end, run, error=f"{type(error).__name__}: {error}"[:1000])
        else:
            if run is not None:
                self.record(record_job_end, run)
            if result:
                logger.info("Periodic job %s: %s", path, result)
        finally:
            close_old_connections()

    @staticmethod
    def record(function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            logger.exception("A periodic job's run could not be recorded")
            return None
