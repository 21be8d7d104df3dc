"""Every change to insights data: population imports, equality answers, research consent."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection, Iterable
from datetime import timedelta
from functools import reduce
from operator import or_

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import DateTimeField, F, Max, OuterRef, Q, Subquery, Value
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.core.domain import (
    delete_in_chunks,
    insert_selected,
    log_activity,
    write_in_chunks,
)
from microintern.core.errors import Refusal
from microintern.core.locking import lock_row
from microintern.core.models import ActivityLog
from microintern.surveys.models import Invitation, Response

from . import codings, hesa
from .academic_year import AcademicYear
from .consent import CONSENT_WORDING_VERSION
from .models import (
    CodingMapping,
    EqualityMonitoring,
    FeedDelivery,
    PopulationImport,
    PopulationImportRow,
    PopulationRecord,
    ResearchConsent,
    Study,
)
from .population import RECORD_FIELDS, read_extract, validate_rows

BATCH = 2000


class ImportAlreadyApplied(Refusal, ValueError):
    """The staged import was confirmed before; confirming it again would change nothing.

    Also a ``ValueError``, so callers that catch that one keep working.
    """


class MappingRefused(Refusal):
    """The code mapping typed cannot be saved; the message lists why."""


def current_coding_mapping() -> CodingMapping:
    """The newest version of the code mapping; version 1 (today's codings,
    ``codings.DEFAULT``) is stored the first time one is asked for."""
    latest = CodingMapping.objects.order_by("-version").first()
    if latest is not None:
        return latest
    tables = codings.default_tables()
    mapping, _ = CodingMapping.objects.get_or_create(
        version=1,
        defaults={**tables, "note": "The default codings."},
    )
    return mapping


def mapping_for_reading(stored: CodingMapping) -> codings.Mapping:
    return codings.Mapping(stored.readings, stored.refused, version=stored.version)


@transaction.atomic
def save_coding_mapping(*, readings: dict, refused: dict, note: str = "", actor=None):
    """Save a changed code mapping as the next version; earlier versions stay as they were
    (imports point at the version they were read with).

    Rules: the tables must pass ``codings.check_tables`` (else :class:`MappingRefused` with
    every reason, nothing saved). Side effects: one CodingMapping row, version = newest + 1;
    ``insights.mapping_saved`` logged with the version. Two saved at once: one gets the
    next version, the other is refused (try again).
    """
    problems = codings.check_tables(readings, refused)
    if problems:
        raise MappingRefused(" ".join(problems))
    version = current_coding_mapping().version + 1
    try:
        with transaction.atomic():
            mapping = CodingMapping.objects.create(
                version=version,
                readings=readings,
                refused=refused,
                note=note[:300],
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError as error:
        raise MappingRefused(
            "Someone else saved a new version at the same moment; open the newest and "
            "make your change again."
        ) from error
    log_activity(mapping, "insights.mapping_saved", actor=actor, version=version)
    return mapping


def check_population_extract(
    *,
    name: str,
    content: bytes,
    academic_year: str,
    actor=None,
    mapping: CodingMapping | None = None,
    strict: bool = False,
) -> PopulationImport:
    """Read and validate an extract: the import with its cleaned rows and report, not saved
    (a dry run). Writes nothing; see :func:`stage_population_import` for the rules."""
    year = str(AcademicYear.parse(academic_year))
    mapping = mapping or current_coding_mapping()
    unknown, rows = read_extract(name, content, strict=strict)
    numbers = [row.get("student_number", "") for _, row in rows]
    emails = [row.get("email", "").lower() for _, row in rows if row.get("email")]
    known = set()
    for start in range(0, len(numbers), BATCH):
        known |= set(
            Student.objects.filter(student_number__in=numbers[start : start + BATCH]).values_list(
                "student_number", flat=True
            )
        )
    owners = {}
    for start in range(0, len(emails), BATCH):
        owners |= dict(
            Student.objects.filter(email__in=emails[start : start + BATCH]).values_list(
                "email", "student_number"
            )
        )
    validation = validate_rows(rows, known, owners, mapping_for_reading(mapping))
    problems = [
        {"line": 1, "field": column, "problem": "Unknown column, ignored.", "severity": "warning"}
        for column in unknown
    ] + validation.problems
    return PopulationImport(
        academic_year=year,
        file_name=name[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        rows=validation.rows,
        problems=problems,
        readings=validation.readings,
        row_count=validation.row_count,
        valid_count=len(validation.rows),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        mapping=mapping,
    )


def stage_population_import(**extract) -> PopulationImport:
    """Read and validate an extract, store the cleaned rows and the report; write nothing else.

    Takes the keyword arguments of :func:`check_population_extract` (``name``, ``content``,
    ``academic_year``, ``actor``, ``mapping``, ``strict``). Raises ``population.ExtractError``
    when the file as a whole is unreadable and ``ValueError`` for a malformed academic year.
    Codes are read with ``mapping`` (a CodingMapping; default the newest version), and the
    import records which. ``strict`` (the feed) refuses unknown and missing columns
    (``population.read_extract``). The student records change only when the returned import
    is confirmed with :func:`apply_population_import`. The file is read before the one
    short transaction that saves the import and logs ``population.staged``.
    """
    return save_staged_import(check_population_extract(**extract), actor=extract.get("actor"))


def save_staged_import(staged: PopulationImport, *, actor=None) -> PopulationImport:
    """Save an import that :func:`check_population_extract` read (its cleaned rows and
    report) and log ``population.staged``, in one short transaction; nothing else changes
    until it is confirmed with :func:`apply_population_import`."""
    with transaction.atomic():
        staged.save()
        log_activity(
            staged,
            "population.staged",
            actor=actor,
            rows=staged.row_count,
            mapping_version=staged.mapping.version,
        )
    return staged


def discard_staged_import(staged: PopulationImport, *, reason: str) -> None:
    """Delete an import that was staged but will never be confirmed (the feed's, when
    applying it failed), with any rows of it still staged; log ``population.discarded``
    with `reason`. An applied import is never deleted here: its records use it."""
    with transaction.atomic():
        deleted, _ = PopulationImport.objects.filter(pk=staged.pk, applied_at__isnull=True).delete()
        if deleted:
            log_activity(staged, "population.discarded", reason=reason[:500])


def apply_population_import(
    staged: PopulationImport,
    *,
    actor=None,
    then: Callable[[PopulationImport], object] | None = None,
) -> PopulationImport:
    """Write a validated import: update known students, create new ones, record the year.

    Idempotent: students are matched by student number (never duplicated); new students get
    no User (they sign in later with their university email). One PopulationRecord per
    student per academic year is created or updated. Applying the same import twice raises
    :class:`ImportAlreadyApplied`. The staged copy of the rows is then emptied (the report
    stays). Logs ``population.applied`` with the counts.

    All or nothing, without holding the database for long (on SQLite every transaction
    holds its one write lock): the rows are first written, a chunk per transaction, to
    :class:`PopulationImportRow` under a batch of their own, which nothing else reads; then
    one short transaction copies them into the students and the year's records with a few
    statements that the database runs by itself. Until that transaction commits the
    previous records stay in use; if anything fails before, nothing else has changed.
    Either way the batch's rows are deleted afterwards, a chunk per transaction. `then`, if
    given, is called with the applied import inside that one transaction, for what must
    change with it or not at all (the feed records its delivery and queues its email); if
    it raises, the switch is undone. Inside a caller's transaction it is all one
    transaction.
    """
    if staged.applied_at:  # asked again, under the lock, in the switch
        raise ImportAlreadyApplied("This import has already been applied.")
    batch = secrets.token_hex(16)
    try:
        write_in_chunks(
            (_import_row(staged, batch, row) for row in staged.rows),
            PopulationImportRow.objects.bulk_create,
        )
        with transaction.atomic():
            staged = _switch_in(staged.pk, batch, actor)
            if then is not None:
                then(staged)
    finally:  # in use now, or never: either way no longer needed
        delete_in_chunks(PopulationImportRow.objects.filter(batch=batch))
    return staged


def _import_row(staged: PopulationImport, batch: str, row: dict) -> PopulationImportRow:
    return PopulationImportRow(
        population_import_id=staged.pk,
        batch=batch,
        student_number=row["student_number"],
        email=row["email"] or None,  # empty: the student's stays
        full_name=row["full_name"] or None,
        domicile=row["domicile"],
        **{name: row[name] for name in RECORD_FIELDS},
    )


def _copy_from_batch(
    model: type[models.Model],
    batch: str,
    *,
    key: str,
    fields: Iterable[str],
    keep_if_empty: Collection[str] = (),
    values: dict | None = None,
    where: dict | None = None,
) -> int:
    """Update each row of `model` whose `key` matches a row of `batch`: `fields` copied from
    that PopulationImportRow (same names; one in `keep_if_empty` keeps its value where the
    batch row's is empty), `values` set as given, only rows matching `where` (equalities).
    Returns how many rows were updated.

    One UPDATE with a row-value subquery, ``SET (a, b) = (SELECT ...)`` (SQLite 3.15+ and
    PostgreSQL): the database reads the batch row once per row updated, where Django's
    ``update()`` with a ``Subquery`` per field reads it once per field, ten times slower.
    """
    connection = connections[router.db_for_write(model)]
    quote, meta = connection.ops.quote_name, model._meta
    table, source = quote(meta.db_table), quote(PopulationImportRow._meta.db_table)
    target = quote(meta.get_field(key).column)
    row_key = quote(PopulationImportRow._meta.get_field(key).column)
    names = [meta.get_field(name) for name in fields]
    copied = ", ".join(
        f"COALESCE(s.{quote(f.column)}, {table}.{quote(f.column)})"
        if f.name in keep_if_empty
        else f"s.{quote(f.column)}"
        for f in names
    )
    settings_, params = [], []
    for name, value in (values or {}).items():
        field = meta.get_field(name)
        settings_.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    conditions, condition_params = [], []
    for name, value in (where or {}).items():
        field = meta.get_field(name)
        conditions.append(f" AND {table}.{quote(field.column)} = %s")
        condition_params.append(field.get_db_prep_value(value, connection))
    targets = ", ".join(quote(f.column) for f in names)
    # Only the models' own names, quoted, go into the statement; every value is a parameter.
    statement = (
        f"UPDATE {table} SET {''.join(s + ', ' for s in settings_)}({targets}) = "  # noqa: S608
        f"(SELECT {copied} FROM {source} s WHERE s.batch = %s AND s.{row_key} = {table}.{target})"
        f" WHERE {table}.{target} IN (SELECT {row_key} FROM {source} WHERE batch = %s)"
        f"{''.join(conditions)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, batch, batch, *condition_params])
        return cursor.rowcount


def _switch_in(pk: int, batch: str, actor) -> PopulationImport:
    """The one transaction of :func:`apply_population_import`: every row of `batch` into the
    students and the year's population records, a few statements that the database runs by
    itself (no row passes through Python while the lock is held)."""
    # The staged copy of the rows (megabytes of JSON) is not read again: the batch has them.
    staged = lock_row(PopulationImport.objects.defer("rows"), pk)
    if staged.applied_at:
        raise ImportAlreadyApplied("This import has already been applied.")
    now = Value(timezone.now(), DateTimeField())
    rows = PopulationImportRow.objects.filter(batch=batch)

    updated = _copy_from_batch(
        Student,
        batch,
        key="student_number",
        fields=["email", "full_name", *RECORD_FIELDS],
        keep_if_empty={"email", "full_name"},
        values={"record_imported_at": now.value},
    )
    created = insert_selected(
        Student,
        {
            "student_number": F("student_number"),
            "email": F("email"),
            "full_name": F("full_name"),
            "preferred_name": Value(""),
            "record_imported_at": now,
            "created_at": now,
            **{name: F(name) for name in RECORD_FIELDS},
        },
        rows.exclude(student_number__in=Student.objects.values("student_number")),
    )
    rows.update(
        student=Subquery(
            Student.objects.order_by()
            .filter(student_number=OuterRef("student_number"))
            .values("pk")[:1]
        )
    )

    record_fields = (*RECORD_FIELDS, "domicile")
    _copy_from_batch(
        PopulationRecord,
        batch,
        key="student",
        fields=record_fields,
        values={"source_import": staged.pk, "updated_at": now.value},
        where={"academic_year": staged.academic_year},
    )
    this_year = PopulationRecord.objects.filter(academic_year=staged.academic_year)
    insert_selected(
        PopulationRecord,
        {
            "student": F("student"),
            "academic_year": Value(staged.academic_year),
            "source_import": Value(staged.pk),
            "updated_at": now,
            **{name: F(name) for name in record_fields},
        },
        rows.exclude(student__in=this_year.values("student")),
    )
    staged.applied_at = now.value
    staged.created_count, staged.updated_count = created, updated
    staged.rows = []  # names and emails are now in the student records; keep no copy
    staged.save(update_fields=["applied_at", "created_count", "updated_count", "rows"])
    log_activity(staged, "population.applied", actor=actor, created=created, updated=updated)
    return staged


# ---------------------------------------------------------------------------------------
# Equality monitoring
# ---------------------------------------------------------------------------------------


def save_equality_answers(student: Student, answers: dict, *, actor=None) -> EqualityMonitoring:
    """Store (or replace) a student's equality-monitoring answers.

    ``answers`` maps :attr:`EqualityMonitoring.FIELD_FRAMES` names to a HESA code, ``""``
    for not answered, and for ``disability_codes`` a list of codes. Every code is checked
    against its frame (provider-only codes are refused). The broad disability group is
    derived here. The activity log records that answers were saved, never the answers.
    """
    values = {}
    for name, frame in EqualityMonitoring.FIELD_FRAMES.items():
        value = answers.get(name) or ([] if frame.multiple else "")
        codes = list(value) if frame.multiple else ([value] if value else [])
        allowed = {code for code, _ in frame.student_choices()}
        if any(code not in allowed for code in codes):
            raise ValueError(f"{name}: not a code a student may choose")
        values[name] = ",".join(sorted(codes)) if frame.multiple else value
    values["disability_group"] = (
        hesa.disability_group(set(answers.get("disability_codes") or []))
        if answers.get("disability_codes")
        else ""
    )
    record, _ = EqualityMonitoring.objects.update_or_create(
        student=student, defaults={**values, "answered_at": timezone.now()}
    )
    log_activity(student, "equality.answered", actor=actor)
    return record


def delete_equality_answers(student: Student, *, actor=None) -> bool:
    """A student objects (DPA 2018 Sch. 1 para 8(5)): delete every answer they gave.

    Returns True if there was anything to delete. Logs only that it happened.
    """
    deleted, _ = EqualityMonitoring.objects.filter(student=student).delete()
    if deleted:
        log_activity(student, "equality.deleted", actor=actor)
    return bool(deleted)


# ---------------------------------------------------------------------------------------
# Research consent
# ---------------------------------------------------------------------------------------


def active_consent(student: Student) -> ResearchConsent | None:
    return student.research_consents.filter(withdrawn_at__isnull=True).first()


@transaction.atomic
def give_research_consent(
    student: Student, *, quotes: bool, equality: bool = False, actor=None
) -> ResearchConsent:
    """Record consent to the current wording (replacing an active one, e.g. to change the
    quotes or equality choice). Side effects: the consent row; ``research_consent.given``
    logged with the choices."""
    now = timezone.now()
    ResearchConsent.objects.filter(student=student, withdrawn_at__isnull=True).update(
        withdrawn_at=now
    )
    consent = ResearchConsent.objects.create(
        student=student,
        quotes=quotes,
        equality=equality,
        wording_version=CONSENT_WORDING_VERSION,
        given_at=now,
    )
    log_activity(student, "research_consent.given", actor=actor, quotes=quotes, equality=equality)
    return consent


def withdraw_research_consent(student: Student, *, actor=None) -> bool:
    """Withdraw consent: every later research export and report leaves the student out."""
    changed = ResearchConsent.objects.filter(student=student, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if changed:
        log_activity(student, "research_consent.withdrawn", actor=actor)
    return bool(changed)


@transaction.atomic
def create_study(name: str, *, actor=None) -> Study:
    """A new research study with a random salt of its own (so its pseudonyms are its own).
    Side effects: the study row; ``research.study_created`` logged."""
    study = Study.objects.create(name=name.strip(), salt=secrets.token_hex(32), created_by=actor)
    log_activity(study, "research.study_created", actor=actor)
    return study


# ---------------------------------------------------------------------------------------
# Retention (docs/data-protection.md)
# ---------------------------------------------------------------------------------------

RETENTION = {
    "population_years": 6,
    "import_days": 365,
    "equality_after_last_year": 1,
    "survey_years": 6,
    "consent_after_withdrawal_years": 6,
    "activity_log_years": 6,
}
"""Retention periods: see the schedule in docs/data-protection.md."""

RETAINED_LOG_ACTIONS = ("population.", "equality.", "research_consent.", "survey.", "insights.")
"""Activity-log actions about the data classes of the schedule (their entries go after
``activity_log_years``); other apps' log entries follow their own rules."""


def _years_before(moment, years: int):
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def apply_retention(now=None) -> dict:
    """Delete what the retention schedule says has been kept long enough.

    * population records of academic years more than 6 years before the current one;
    * uploaded extracts (and their reports) older than a year, and the student-record
      feed's record of the files it received (names and hashes) as old;
    * the rows of a population import whose applying was interrupted (the process killed
      before it could remove them) a day later;
    * equality answers of students whose latest population record is more than one
      academic year old (they have left; answers are for monitoring current cohorts);
    * survey invitations and responses of academic years more than 6 years ago;
    * research consent records withdrawn (or replaced) more than 6 years ago; a consent still
      in force is kept (it is evidence for data still being used);
    * activity-log entries about the above (:data:`RETAINED_LOG_ACTIONS`) older than 6 years.
    Idempotent (a periodic job); deletes a chunk of rows a transaction with no transaction
    around them (each deletion is complete in itself; a pass stopped part-way is finished
    by the next), so on SQLite pages that write get the lock in between. Logs nothing
    about individuals; returns the counts.
    """
    now = now or timezone.now()
    current = AcademicYear.containing(now)
    oldest_kept = str(AcademicYear(current.start_year - RETENTION["population_years"]))
    deleted = {}
    deleted["population_records"] = delete_in_chunks(
        PopulationRecord.objects.filter(academic_year__lt=oldest_kept)
    )
    deleted["imports"] = delete_in_chunks(
        PopulationImport.objects.filter(
            uploaded_at__lt=now - timedelta(days=RETENTION["import_days"])
        )
    )
    deleted["interrupted_import_rows"] = delete_in_chunks(
        PopulationImportRow.objects.filter(created_at__lt=now - timedelta(days=1))
    )
    deleted["feed_deliveries"] = delete_in_chunks(
        FeedDelivery.objects.filter(received_at__lt=now - timedelta(days=RETENTION["import_days"]))
    )
    last_current = str(AcademicYear(current.start_year - RETENTION["equality_after_last_year"]))
    leavers = (
        Student.objects.annotate(last_year=Max("population_records__academic_year"))
        .filter(last_year__lt=last_current)
        .values("pk")
    )
    deleted["equality_answers"] = delete_in_chunks(
        EqualityMonitoring.objects.filter(student__in=leavers)
    )
    survey_cutoff = AcademicYear(current.start_year - RETENTION["survey_years"]).starts
    old_responses = Response.objects.filter(submitted_at__lt=survey_cutoff)
    deleted["survey_responses"] = delete_in_chunks(old_responses)
    old_invitations = Invitation.objects.filter(created_at__lt=survey_cutoff)
    deleted["survey_invitations"] = delete_in_chunks(old_invitations)
    deleted["research_consents"] = delete_in_chunks(
        ResearchConsent.objects.filter(
            withdrawn_at__lt=_years_before(now, RETENTION["consent_after_withdrawal_years"])
        )
    )
    about_the_above = reduce(or_, (Q(action__startswith=a) for a in RETAINED_LOG_ACTIONS))
    deleted["activity_log_entries"] = delete_in_chunks(
        ActivityLog.objects.filter(about_the_above).filter(
            created_at__lt=_years_before(now, RETENTION["activity_log_years"])
        )
    )
    return {name: count for name, count in deleted.items() if count}
