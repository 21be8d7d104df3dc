"""Cross-cutting domain services: the activity log, writing many rows at once, and the
record of the periodic jobs' runs."""

import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router, transaction
from django.db.models import sql
from django.utils import timezone

from .models import ActivityLog, PeriodicJobRun


def log_activity(subject: models.Model, action: str, *, actor=None, **data) -> ActivityLog:
    """Record that `actor` (None: the system) did `action` to `subject`, with `data`.

    Writes one ActivityLog row in the caller's transaction, so a rolled-back change leaves
    no trace of having been done; inside `logging_together`, with the block's other rows
    when it ends.
    """
    entry = activity_entry(subject, action, actor=actor, **data)
    gathered = _gathered_entries.get()
    if gathered is None:
        entry.save()
    else:
        gathered.append(entry)
    return entry


_gathered_entries: ContextVar[list[ActivityLog] | None] = ContextVar(
    "gathered_activity_entries", default=None
)


@contextmanager
def logging_together():
    """Inside this block `log_activity` keeps its rows, and they are written in one statement
    when the block ends without an error (use it inside the change's transaction; an error
    writes none of them). Queries inside the block do not see them yet. A block inside
    another one joins it."""
    if _gathered_entries.get() is not None:
        yield
        return
    gathered: list[ActivityLog] = []
    token = _gathered_entries.set(gathered)
    try:
        yield
    finally:
        _gathered_entries.reset(token)
    log_activities(gathered)


def activity_entry(subject: models.Model, action: str, *, actor=None, **data) -> ActivityLog:
    """An unsaved ActivityLog row, for `log_activities` to write with others at once."""
    return ActivityLog(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        data=data,
    )


def log_activities(entries: list[ActivityLog]) -> None:
    """Write many `activity_entry` rows in one statement, in the caller's transaction
    (for work done on many objects together, such as a batch of inbound email)."""
    ActivityLog.objects.bulk_create(entries)


def update_rows(objects: list[models.Model], fields: list[str]) -> None:
    """Save `fields` of many rows of one model with a single prepared UPDATE.

    Each row gets its own values (unlike `QuerySet.update`). Django's `bulk_update` builds
    one CASE expression per field and row, which for a batch of 50 rows and 16 fields costs
    ten times more than saving each row; this runs one statement for all of them with
    `executemany`. Values are prepared by the fields themselves, as `save()` would.
    """
    if not objects:
        return
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
    # Only the model's own names, quoted, go into the statement; every value is a parameter.
    statement = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)


def insert_selected(model: type[models.Model], columns: dict, rows: models.QuerySet) -> int:
    """Insert into `model`'s table one row for each of `rows`, in one statement that the
    database runs by itself (INSERT ... SELECT); return how many were inserted.

    `columns` maps each field of `model` written to an expression over `rows` (`F`,
    `Value` with an output field, `Subquery`, ...); fields left out get the column's own
    default, so every field that is not nullable must be given (no Python default or
    `auto_now` applies). For switching many staged rows in within one short transaction:
    no row passes through Python.
    """
    connection = connections[router.db_for_write(model)]
    names = {f"insert_{n}": expression for n, expression in enumerate(columns.values())}
    # Annotations are selected in the order they were added: the order of `columns`.
    select = rows.order_by().annotate(**names).values_list(*names)
    sql, params = select.query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    targets = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    # Only the model's own names, quoted, go into the statement; every value is a parameter.
    statement = f"INSERT INTO {quote(model._meta.db_table)} ({targets}) {sql}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


@dataclass
class PreparedInsert:
    """New rows of one model with their INSERT statements built (`prepare_insert`), to be
    run later by `execute`."""

    model: type[models.Model]
    objects: list[models.Model]
    statements: list[tuple[str, tuple]]

    def execute(self) -> list[models.Model]:
        """Run the statements in the caller's transaction and give each object the primary
        key the database returned, as `bulk_create` does. Returns the objects."""
        alias = router.db_for_write(self.model)
        keys = []
        with connections[alias].cursor() as cursor:
            for statement, params in self.statements:
                cursor.execute(statement, params)
                keys += [row[0] for row in cursor.fetchall()]
        for obj, key in zip(self.objects, keys, strict=True):
            obj.pk = key
            obj._state.adding, obj._state.db = False, alias
        return self.objects


def prepare_insert(objects: list[models.Model]) -> PreparedInsert:
    """Build the multi-row INSERT statements (returning the new keys) that `bulk_create`
    would run for these unsaved rows of one model, with every value already prepared for
    the database (JSON encoded, times converted, `auto_now_add` set): the costly part of
    `bulk_create`, done without touching the database, so a change can do it before its
    write transaction and only `execute` inside it. Batches as `bulk_create` does."""
    if not objects:
        return PreparedInsert(models.Model, [], [])
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    if not connection.features.can_return_rows_from_bulk_insert:
        raise RuntimeError(f"{connection.vendor} cannot return keys from a bulk insert")
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.auto_field]
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    size = max(connection.ops.bulk_batch_size(fields, objects), 1)
    statements = []
    for start in range(0, len(objects), size):
        query = sql.InsertQuery(model)
        query.insert_values(fields, objects[start : start + size])
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = [opts.pk]
        statements += compiler.as_sql()
    return PreparedInsert(model, list(objects), statements)


T = TypeVar("T")
WRITE_CHUNK_ROWS = 500
"""Rows a chunked job writes per transaction: small enough that on SQLite a chunk holds the
write lock well under the 1 s a page may wait, on a busy machine too
(bench/bench_sqlite_write_lock.py)."""

CHUNK_PAUSE_SECONDS = 0.1
"""How long a chunked job lets go of SQLite's write lock between two chunks. A writer that
has waited a while for the lock is woken by SQLite's busy handler every 100 ms: a job that
wrote chunk after chunk with no gap could keep it waiting for seconds (a gap it sleeps
through), so the gap lasts as long. PostgreSQL locks rows, not the database: no pause."""


def _let_other_writers_in() -> None:
    connection = transaction.get_connection()
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        time.sleep(CHUNK_PAUSE_SECONDS)


def write_in_chunks(
    items: Iterable[T], write: Callable[[list[T]], object], *, size: int = WRITE_CHUNK_ROWS
) -> int:
    """Hand `items` to `write` `size` at a time, each chunk in a transaction of its own, and
    return how many there were. For jobs that write many rows where all-or-nothing is not
    needed (demo data, say): on SQLite the single write lock is let go between chunks, so
    pages and tasks that write get in instead of waiting for the whole job. Items are drawn
    from `items` between transactions, never inside one; on SQLite the job pauses
    `CHUNK_PAUSE_SECONDS` between chunks."""
    iterator, count = iter(items), 0
    while chunk := list(islice(iterator, size)):
        if count:
            _let_other_writers_in()
        with transaction.atomic():
            write(chunk)
        count += len(chunk)
    return count


def delete_in_chunks(rows: models.QuerySet, *, size: int = WRITE_CHUNK_ROWS) -> int:
    """Delete every row of `rows` (with what cascades from it), `size` rows a transaction,
    and return how many rows were deleted in all. For jobs that delete many rows where each
    deletion is complete in itself (retention): on SQLite the write lock is let go between
    chunks (and paused for, as by `write_in_chunks`). `rows` is asked again before each
    chunk, so rows it no longer matches stay."""
    deleted, chunks = 0, 0
    while ids := list(rows.order_by("pk").values_list("pk", flat=True)[:size]):
        if chunks:
            _let_other_writers_in()
        with transaction.atomic():
            deleted += rows.model._default_manager.filter(pk__in=ids).delete()[0]
        chunks += 1
    return deleted


def activity_for(*subjects: models.Model):
    """Activity rows about any of `subjects`, newest first, with actors loaded."""
    query = models.Q(pk__in=[])
    for subject in subjects:
        query |= models.Q(
            content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
        )
    return ActivityLog.objects.filter(query).select_related("actor", "content_type")


def record_job_end(run: PeriodicJobRun, error: str = "") -> None:
    """Note how the run ended: succeeded (no `error`) or failed with `error`."""
    now = timezone.now()
    run.last_finished_at = now
    run.last_error = error
    fields = ["last_finished_at", "last_error"]
    if not error:
        run.last_succeeded_at = now
        fields.append("last_succeeded_at")
    run.save(update_fields=fields)
