"""Run the development web server, the task worker and the periodic jobs together (what
`make run` uses)."""

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from .demo import DEMO_LOGINS, DEMO_PASSWORD


def worker_command() -> list[str]:
    """The task worker of the configured backend: `db_worker`, or `rqworker` on RQ."""
    if settings.TASKS["default"]["BACKEND"] == settings.TASKS_BACKENDS["rq"]:
        return ["rqworker", "--with-scheduler", "default"]
    return ["db_worker", "--queue-name", "default"]


class Command(BaseCommand):
    help = "Start the web server and the task worker; print the URL and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        log_dir = settings.VAR_DIR / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        background_log = (log_dir / "worker.log").open("ab")
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "microintern", *worker_command()],
            stdout=background_log,
            stderr=subprocess.STDOUT,
        )
        periodic = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "microintern", "run_periodic"],
            stdout=background_log,
            stderr=subprocess.STDOUT,
        )
        self.stdout.write(self.banner(addrport, log_dir / "worker.log"))
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the children too
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            for process in (worker, periodic):
                process.send_signal(signal.SIGTERM)
            for process in (worker, periodic):
                process.wait(timeout=30)

    def banner(self, addrport: str, background_log) -> str:
        lines = [
            "",
            f"  {settings.MICROINTERN['SITE_NAME']} is running at http://{addrport}/",
            "  (the task worker and the periodic jobs run beside it; Ctrl+C stops all three)",
            f"  Emails the worker sends are in the staff outbox and in {background_log}",
            "",
            "  Demo logins:",
        ]
        for key, email, role, _name in DEMO_LOGINS:
            how = (
                f"password {DEMO_PASSWORD}, then the code from "
                "`.venv/bin/python -m microintern demo_totp`"
                if role in ("staff", "researcher", "administrator")
                else "emailed sign-in code (the email appears in this terminal)"
            )
            lines.append(f"    {key:<14} {email:<32} {how}")
        return "\n".join(lines) + "\n"
