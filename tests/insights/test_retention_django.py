"""The retention schedule is enforced: old population years, extracts, leavers' equality
answers, old survey data, long-withdrawn research consents and old log entries about them are
deleted; current data is kept."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from microintern.core.domain import log_activity
from microintern.core.models import ActivityLog
from microintern.insights import domain
from microintern.insights.models import (
    EqualityMonitoring,
    PopulationImport,
    PopulationRecord,
    ResearchConsent,
)
from microintern.surveys.domain import invite, record_response
from microintern.surveys.enums import InstrumentKind
from microintern.surveys.models import Invitation, Response
from tests.accounts.factories import StudentFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)  # academic year 2026/27


def test_retention_deletes_only_what_has_been_kept_long_enough():
    current, leaver, old_only = StudentFactory(), StudentFactory(), StudentFactory()
    for student, year in (
        (current, "2026/27"),
        (current, "2020/21"),
        (leaver, "2024/25"),
        (old_only, "2019/20"),
    ):
        PopulationRecord.objects.create(student=student, academic_year=year)
    for student in (current, leaver):
        domain.save_equality_answers(student, {"ethnicity": "160"})
    old_import = PopulationImport.objects.create(academic_year="2025/26", file_name="a", sha256="")
    PopulationImport.objects.filter(pk=old_import.pk).update(uploaded_at=NOW - timedelta(days=400))
    PopulationImport.objects.create(academic_year="2026/27", file_name="b", sha256="")
    old = invite(InstrumentKind.STUDENT_PRE, student=current)
    record_response(old, {"caas_concern_1": 3})
    Invitation.objects.filter(pk=old.pk).update(created_at=datetime(2019, 10, 1, tzinfo=UTC))
    Response.objects.filter(invitation=old).update(submitted_at=datetime(2019, 10, 1, tzinfo=UTC))
    recent = invite(InstrumentKind.STUDENT_POST, student=current)
    record_response(recent, {"caas_concern_1": 4})

    deleted = domain.apply_retention(NOW)

    assert set(PopulationRecord.objects.values_list("academic_year", flat=True)) == {
        "2026/27",
        "2020/21",
        "2024/25",
    }
    assert list(PopulationImport.objects.values_list("file_name", flat=True)) == ["b"]
    assert list(EqualityMonitoring.objects.values_list("student", flat=True)) == [current.pk]
    assert list(Invitation.objects.values_list("pk", flat=True)) == [recent.pk]
    assert Response.objects.count() == 1
    assert deleted["population_records"] == 1 and deleted["equality_answers"] == 1
    assert domain.apply_retention(NOW) == {}


def test_confirmed_import_keeps_no_copy_of_names_and_emails():
    staged = domain.stage_population_import(
        name="a.csv",
        content=b"student_number,email,full_name\nS1,a@example.ac.uk,Ann Lee\n",
        academic_year="2026/27",
    )
    assert staged.rows and staged.valid_count == 1
    applied = domain.apply_population_import(staged)
    applied.refresh_from_db()
    assert applied.rows == [] and applied.valid_count == 1
    assert timezone.now() >= applied.applied_at


def test_old_withdrawn_consents_and_old_log_entries_go_current_ones_stay():
    student = StudentFactory()
    old = domain.give_research_consent(student, quotes=True)
    ResearchConsent.objects.filter(pk=old.pk).update(
        given_at=datetime(2018, 10, 1, tzinfo=UTC), withdrawn_at=datetime(2019, 10, 1, tzinfo=UTC)
    )
    recently_withdrawn = ResearchConsent.objects.create(
        student=student,
        quotes=False,
        given_at=datetime(2019, 10, 1, tzinfo=UTC),
        withdrawn_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    in_force = domain.give_research_consent(student, quotes=False)
    ResearchConsent.objects.filter(pk=in_force.pk).update(
        given_at=datetime(2015, 10, 1, tzinfo=UTC)
    )
    log_activity(student, "research_consent.given")
    log_activity(student, "equality.answered")
    log_activity(student, "place.offered")  # not about the data of the schedule
    ActivityLog.objects.update(created_at=datetime(2020, 11, 27, tzinfo=UTC))
    log_activity(student, "equality.deleted")  # recent

    deleted = domain.apply_retention(NOW)

    assert set(ResearchConsent.objects.values_list("pk", flat=True)) == {
        recently_withdrawn.pk,
        in_force.pk,
    }
    assert set(ActivityLog.objects.values_list("action", flat=True)) == {
        "place.offered",
        "equality.deleted",
    }
    assert deleted["research_consents"] == 1
    assert domain.apply_retention(NOW) == {}


@pytest.mark.django_db(transaction=True)
def test_retention_deletes_each_kind_a_chunk_per_transaction_with_none_around_them(
    monkeypatch,
):
    student = StudentFactory()
    PopulationRecord.objects.create(student=student, academic_year="2019/20")
    real, around = domain.delete_in_chunks, []

    def watching(rows, **options):
        around.append(connection.in_atomic_block)  # a transaction would hold every chunk
        return real(rows, **options)

    monkeypatch.setattr(domain, "delete_in_chunks", watching)
    assert domain.apply_retention(NOW)["population_records"] == 1
    assert len(around) >= 8 and not any(around)
