"""Publishing reads and prepares everything before its short write transaction (so that
SQLite's one write lock is held only while writing). A change another connection commits in
between is found under the lock: the round is then prepared again from the new state and
published, or refused, and never half-published."""

import re
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from microintern.accounts.models import Student, User
from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.errors import ChangedSinceRead
from microintern.core.models import ActivityLog
from microintern.mail.models import OutboundMessage
from microintern.programme.enums import MicroInternshipState
from microintern.selection import domain
from microintern.selection.domain import rounds
from microintern.selection.enums import RoundState, RunKind
from microintern.selection.models import SelectionRun

pytestmark = pytest.mark.django_db(transaction=True)

DECISION_ROLES = ["place_offered", "place_waitlisted", "place_not_selected"]


def in_another_connection(change) -> None:
    """Run `change` in a thread with its own database connection, committed when it ends."""
    errors = []

    def run():
        try:
            change()
        except Exception as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def between_phases(monkeypatch, change, *, times: int = 1) -> list:
    """Make `change` in another connection after publishing has read and prepared the round
    and before its write transaction, the first `times` times. Returns the list of the
    preparations made (one item each)."""
    prepare = rounds._plan_publish
    made = []

    def prepared_then_changed(*args):
        plan = prepare(*args)
        made.append(plan)
        if len(made) <= times:
            in_another_connection(change)
        return plan

    monkeypatch.setattr(rounds, "_plan_publish", prepared_then_changed)
    return made


def nothing_published(selection_round, mi, students) -> None:
    selection_round.refresh_from_db()
    assert selection_round.state != RoundState.PUBLISHED
    assert selection_round.published_at is None
    mi.refresh_from_db()
    assert mi.state == MicroInternshipState.CLOSED
    assert not ExpressionOfInterest.objects.filter(
        state__in=[PlaceState.OFFERED, PlaceState.WAITLISTED, PlaceState.NOT_SELECTED]
    ).exists()
    assert not OutboundMessage.objects.filter(role__in=DECISION_ROLES).exists()
    assert not ActivityLog.objects.filter(
        action__in=["place.offered", "place.waitlisted", "place.not_selected"]
    ).exists()
    assert not ActivityLog.objects.filter(action="selection.published").exists()
    assert not SelectionRun.objects.filter(kind=RunKind.PUBLISHED).exists()


def test_a_withdrawal_while_publishing_is_prepared_is_refused_and_nothing_goes_out(
    build_round, monkeypatch, worker_queue
):
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 3)
    run = domain.dry_run(selection_round, actor=staff)
    domain.start_publishing(selection_round, dry_run_id=run.pk, actor=staff)  # to the queue
    withdrawn = students[0].interests.get()
    made = between_phases(
        monkeypatch, lambda: transition_place(withdrawn, PlaceState.WITHDRAWN, email=False)
    )
    assert domain.finish_publishing(selection_round.pk, dry_run_id=run.pk, actor_id=staff.pk) == (
        "Something changed since this dry run (new or changed interest, places or overrides). "
        "Run it again and check the result before publishing."
    )
    assert len(made) == 1  # the change was found under the lock, then the draw differed
    nothing_published(selection_round, mi, students)
    assert selection_round.state == RoundState.DRY_RUN
    assert "Something changed since this dry run" in selection_round.publish_failure
    assert {i.state for s in students[1:] for i in s.interests.all()} == {PlaceState.RECEIVED}
    assert not DBTaskResult.objects.filter(task_path__endswith="deliver_messages").exists()


def test_a_change_that_leaves_the_draw_alone_is_published_from_the_new_rows(
    build_round, monkeypatch, worker_queue
):
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 3)
    run = domain.dry_run(selection_round, actor=staff)
    moved = students[1]
    made = between_phases(
        monkeypatch,
        lambda: Student.objects.filter(pk=moved.pk).update(email="moved.address@example.ac.uk"),
    )
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    assert len(made) == 2  # prepared again once the change was found
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.PUBLISHED
    # One decision, one log row and one email each; the email to the new address.
    interests = ExpressionOfInterest.objects.filter(micro_internship=mi)
    assert sorted(i.state for i in interests) == sorted(
        [PlaceState.OFFERED, PlaceState.WAITLISTED, PlaceState.WAITLISTED]
    )
    assert ActivityLog.objects.filter(action__startswith="place.").count() == 3
    sent = sorted(OutboundMessage.objects.filter(role__in=DECISION_ROLES).values_list("to"))
    expected = [students[0].email, "moved.address@example.ac.uk", students[2].email]
    assert sent == sorted((address,) for address in expected)
    # Their delivery was queued in the same transaction (the database task queue).
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_messages").exists()


def test_a_student_choosing_welsh_while_publishing_is_prepared_hears_in_welsh(
    build_round, monkeypatch
):
    """The emails are written before the lock: a recipient's language chosen in between is
    found under it, and their email is written again in the new language."""
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 2)
    run = domain.dry_run(selection_round, actor=staff)
    chooser = students[1]
    made = between_phases(
        monkeypatch, lambda: User.objects.filter(pk=chooser.user_id).update(language="cy")
    )
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    assert len(made) == 2  # prepared again once the change was found
    subjects = dict(
        OutboundMessage.objects.filter(role__in=DECISION_ROLES).values_list("to", "subject")
    )
    # Offered or on the waiting list, as the draw decides: in Welsh for the one who chose it.
    welsh = ("Lle i chi: ", "Rydych ar y rhestr aros: ")
    assert subjects[chooser.email].startswith(welsh)
    assert not subjects[students[0].email].startswith(welsh)


def test_changes_that_keep_coming_stop_publishing_with_nothing_written(build_round, monkeypatch):
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 3)
    run = domain.dry_run(selection_round, actor=staff)
    names = iter(range(100))
    made = between_phases(
        monkeypatch,
        lambda: Student.objects.filter(pk=students[2].pk).update(full_name=f"Name {next(names)}"),
        times=rounds.PUBLISH_ATTEMPTS,
    )
    with pytest.raises(ChangedSinceRead, match="Nothing was changed"):
        domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    assert len(made) == rounds.PUBLISH_ATTEMPTS
    nothing_published(selection_round, mi, students)


TABLE = re.compile(r'(?:FROM|JOIN) "(\w+)"')
# Read while preparing, not read again under the lock: content types never change while the
# site runs, and a run (the dry run staff checked) is never changed once made.
NOT_READ_AGAIN = {"django_content_type", "selection_selectionrun"}


def test_the_write_phase_reads_again_every_table_the_preparation_read(build_round, monkeypatch):
    selection_round, (a, b), students, staff = build_round(
        capacities=(2, 1), interests=[(0, 1)] * 4
    )
    run = domain.dry_run(selection_round, actor=staff)
    captured = {}
    for name in ("_plan_publish", "_write_publish"):
        real = getattr(rounds, name)

        def capturing(*args, real=real, name=name):
            with CaptureQueriesContext(connection) as queries:
                try:
                    return real(*args)
                finally:
                    captured[name] = [q["sql"] for q in queries.captured_queries]

        monkeypatch.setattr(rounds, name, capturing)
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    read = {t for sql in captured["_plan_publish"] for t in TABLE.findall(sql)}
    writing = captured["_write_publish"]
    first_write = next(i for i, sql in enumerate(writing) if sql.startswith(("INSERT", "UPDATE")))
    read_again = {t for sql in writing[:first_write] for t in TABLE.findall(sql)}
    assert read - NOT_READ_AGAIN <= read_again
    assert not any(sql.startswith(("INSERT", "UPDATE")) for sql in captured["_plan_publish"])
