"""Row locks for the transition functions: one way to lock, in one order, with a timeout.

Every lifecycle's transition function locks the rows it changes through `lock_rows`, so that
- rows are always locked in primary-key order (two transactions that need the same rows can
  never wait for each other in a circle);
- nobody waits longer than `LOCK_TIMEOUT_SECONDS` (settings, `MICROINTERN_LOCK_TIMEOUT_SECONDS`;
  default 10 s): after that the change is refused with `Busy`, which a person reads as "try
  again" and a task retries;
- locking outside a transaction is a programming error, not a silent no-op.

PostgreSQL takes `SELECT ... FOR UPDATE` with `SET LOCAL lock_timeout`. SQLite has one write
lock for the whole database, taken when a transaction begins (IMMEDIATE mode); its `timeout`
option, set to the same number of seconds, bounds that wait.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import OperationalError, connections, models, router

from .errors import Busy

POSTGRES_LOCK_NOT_AVAILABLE = "55P03"


def lock_timeout_seconds() -> float:
    return float(settings.LOCK_TIMEOUT_SECONDS)


def lock_rows(
    queryset: models.QuerySet | type[models.Model], pks: Iterable, *, of: tuple[str, ...] = ()
) -> dict:
    """Lock the rows of `queryset` (or a model) with these primary keys, in key order, and
    return them by key. Rows that do not exist are simply absent from the result.

    Raises `Busy` when another transaction holds one of them past the lock timeout; must be
    called inside `transaction.atomic`.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    keys = sorted(set(pks))
    if not keys:
        return {}
    alias = router.db_for_write(queryset.model)
    connection = connections[alias]
    if not connection.in_atomic_block:
        raise RuntimeError("lock_rows must be called inside transaction.atomic")
    _set_lock_timeout(connection)
    try:
        locked = queryset.select_for_update(of=of).filter(pk__in=keys)
        return {row.pk: row for row in locked.order_by("pk")}
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == POSTGRES_LOCK_NOT_AVAILABLE:
            raise Busy() from error
        raise


def lock_row(queryset: models.QuerySet | type[models.Model], pk, **kwargs) -> models.Model:
    """Lock one row (see `lock_rows`); raises the model's DoesNotExist when it is not there."""
    model = queryset if isinstance(queryset, type) else queryset.model
    found = lock_rows(queryset, [pk], **kwargs)
    if pk not in found:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist")
    return found[pk]


def _set_lock_timeout(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            milliseconds = int(lock_timeout_seconds() * 1000)
            cursor.execute(f"SET LOCAL lock_timeout = {milliseconds}")
