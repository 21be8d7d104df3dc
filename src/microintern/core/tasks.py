"""What every task shares: a task that finds its rows busy runs again a little later, and
a task queued by a change runs only once that change has committed."""

import functools
from datetime import timedelta

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend

from .errors import Busy

BUSY_RETRY_DELAY = timedelta(seconds=30)


def retrying_task(**options):
    """`django_tasks.task`, except that `Busy` (rows locked by someone else past the lock
    timeout) enqueues the same task with the same arguments again after `BUSY_RETRY_DELAY`
    instead of failing. A busy attempt changed nothing, so running it again is safe. On a
    backend that cannot defer (the in-process one used in tests) `Busy` is raised as is.
    """

    def decorate(function):
        @functools.wraps(function)
        def body(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Busy:
                if not the_task.get_backend().supports_defer:
                    raise
                retry = the_task.using(run_after=timezone.now() + BUSY_RETRY_DELAY)
                retry.enqueue(*args, **kwargs)
                return None

        the_task = task(**options)(body)
        return the_task

    return decorate


def enqueue_after_commit(the_task, *args, **kwargs) -> None:
    """Queue `the_task` so that it runs only once the caller's transaction has committed,
    and never if it rolls back.

    With the database backend writing to the caller's database, the task's row is written
    in the caller's transaction: the worker cannot see it before the commit and a rollback
    takes it away, so the change and its task commit once together rather than in two
    commits. Any other backend (RQ, the in-process one of the tests) is enqueued after
    commit (`transaction.on_commit`), as a task outside the database must be.
    """
    if _writes_in_callers_transaction(the_task.get_backend()):
        the_task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: the_task.enqueue(*args, **kwargs))


def _writes_in_callers_transaction(backend) -> bool:
    if not isinstance(backend, DatabaseBackend):
        return False
    task_rows = apps.get_model("django_tasks_database", "DBTaskResult")
    return router.db_for_write(task_rows) == DEFAULT_DB_ALIAS
