"""What every task shares: a task that finds its rows busy runs again a little later."""

import functools
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

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
