"""The interest POST of someone not signed in, statement by statement: under load every
statement and every commit of it waits its turn for the database, so the form may use only
what it needs. Measured on a warm server (a first POST has already loaded the content types)
with the database task backend that production runs, and real commits."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from microintern.applications.models import ExpressionOfInterest
from microintern.core.domain import activity_for
from microintern.mail.enums import MessageState
from microintern.mail.models import OutboundMessage
from tests import smtp_sink as sink
from tests.applications.test_interest import FORM
from tests.mail.test_hold_action import run_worker

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

STATEMENT_BUDGET = 10
"""The anonymous interest POST on SQLite and PostgreSQL alike: the micro-internship (with its
round's fingerprint); the students with that address or number; a user with that address;
the new user, student and interest; the acknowledgement's wording, its outbox row and its
task row; the log entries. Transaction control (BEGIN, COMMIT) is not counted here."""
COMMIT_BUDGET = 1
"""Transactions that write: the interest with its log, its acknowledgement and the task
that sends it, together."""
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class CommitCounter:
    """Counts the commits a block makes: COMMITs of transactions, and statements that write
    outside any transaction (each of those commits on its own)."""

    def __init__(self):
        self.commits = 0

    def __enter__(self):
        self._commit = connection.commit
        connection.commit = self._counted_commit
        self._wrapper = connection.execute_wrapper(self._watch)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)
        del connection.commit

    def _counted_commit(self):
        self.commits += 1
        return self._commit()

    def _watch(self, execute, sql, params, many, context):
        if WRITES.match(sql) and connection.get_autocommit() and not connection.in_atomic_block:
            self.commits += 1
        return execute(sql, params, many, context)


def send_interest(client, mi, email: str, number: str):
    return client.post(
        f"/my/interest/{mi.reference}/", {**FORM, "email": email, "student_number": number}
    )


def listing(statements: list[str]) -> str:
    return "\n".join(f"{n:3}. {sql[:240]}" for n, sql in enumerate(statements, 1))


def test_the_anonymous_interest_post_keeps_to_its_statement_budget(
    client, open_mi, worker_queue, smtp_sink
):
    form = f"/my/interest/{open_mi.reference}/"
    client.get(form)
    assert send_interest(client, open_mi, "a.first@example.ac.uk", "S0000001").status_code == 302

    with CaptureQueriesContext(connection) as captured, CommitCounter() as counted:
        sent = send_interest(client, open_mi, "p.shah@example.ac.uk", "S1234567")

    assert sent.status_code == 302, sent.content.decode()[:2000]
    statements = [
        q["sql"] for q in captured.captured_queries if not TRANSACTION_CONTROL.match(q["sql"])
    ]
    print(f"\n{len(statements)} statements, {counted.commits} commits:\n{listing(statements)}")
    assert len(statements) <= STATEMENT_BUDGET, (
        f"{len(statements)} statements, budget {STATEMENT_BUDGET}:\n{listing(statements)}"
    )
    assert len(statements) == STATEMENT_BUDGET, (
        f"Fewer statements than the budget ({len(statements)} < {STATEMENT_BUDGET}): "
        f"lower STATEMENT_BUDGET.\n{listing(statements)}"
    )
    assert counted.commits == COMMIT_BUDGET, (
        f"{counted.commits} commits, budget {COMMIT_BUDGET}:\n{listing(statements)}"
    )

    interest = ExpressionOfInterest.objects.get(student__email="p.shah@example.ac.uk")
    assert [e.action for e in activity_for(interest.student)] == ["student.created_from_interest"]
    [received] = activity_for(interest)
    assert received.action == "interest.received" and received.data["verified"] is False
    acknowledgement = OutboundMessage.objects.get(to="p.shah@example.ac.uk")
    assert acknowledgement.state == MessageState.QUEUED and smtp_sink.received == []
    assert DBTaskResult.objects.filter(
        task_path__endswith="deliver_message", args_kwargs__args=[acknowledgement.pk]
    ).exists()

    run_worker()
    [received] = [r for r in smtp_sink.received if r.rcpt_tos == ["p.shah@example.ac.uk"]]
    assert open_mi.reference in received.subject and "/my/confirm/" in received.body
