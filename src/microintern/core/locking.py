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

Because SQLite has that one write lock, a big change (a published selection round) can do
its expensive reading before it takes the lock and check under it that nothing it read has
changed: `current_images` keeps what rows looked like when read, and `lock_images` (locking,
in the same order) or `current_images` read the same columns again in the write transaction.
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


def _images(queryset, pks) -> dict:
    """{primary key: every column as the database driver returns it} for the rows of
    `queryset` (with these keys when `pks` is given). The raw values, without Django's
    conversions (on SQLite a time is compared as its stored text), are what changed or not
    and cost least to read."""
    names = [field.attname for field in queryset.model._meta.concrete_fields]
    key = names.index(queryset.model._meta.pk.attname)
    if pks is not None:
        queryset = queryset.filter(pk__in=sorted(set(pks)))
    rows = queryset.values_list(*names)
    statement, params = rows.query.get_compiler(using=rows.db).as_sql()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(statement, params)
        return {row[key]: tuple(row) for row in cursor.fetchall()}


def lock_images(queryset: models.QuerySet | type[models.Model], pks: Iterable) -> dict:
    """Lock the rows with these primary keys as `lock_rows` does (key order, the lock
    timeout, `Busy`) and return each row's columns by key, as the database has them now
    (raw values, no models built)."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    keys = sorted(set(pks))
    if not keys:
        return {}
    connection = connections[router.db_for_write(queryset.model)]
    if not connection.in_atomic_block:
        raise RuntimeError("lock_images must be called inside transaction.atomic")
    _set_lock_timeout(connection)
    try:
        return _images(queryset.select_for_update().order_by("pk"), keys)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == POSTGRES_LOCK_NOT_AVAILABLE:
            raise Busy() from error
        raise


def current_images(
    queryset: models.QuerySet | type[models.Model], pks: Iterable | None = None
) -> dict:
    """Each row's columns as the database has them now, by key (raw values, no lock): of the
    rows with these primary keys, or (`pks` None) of every row of `queryset`. Read them
    before the rows a change is prepared from, and again in its write transaction."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    return _images(queryset, pks)
