"""The staff System page says which process is the scheduler, and who started each job's
last run and how many runs there have been."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from microintern.core.periodic import claim_run, hold_lease
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def system_page(client, make_user) -> str:
    sign_in(client, make_user("staff"))
    return client.get("/staff/system/").content.decode()


def test_the_scheduler_holding_the_lease_and_each_jobs_starter_are_shown(client, make_user):
    with time_machine.travel(NOW, tick=False):
        hold_lease("machine-a:101:abc", 60)
        claim_run("microintern.mail.outbox.retry_due", 30, "machine-a:101:abc")
        page = system_page(client, make_user)
    assert "<code>machine-a:101:abc</code> runs the periodic jobs" in page
    assert "any other <code>run_periodic</code> stands by" in page
    assert page.count("<code>machine-a:101:abc</code>") == 2  # the lease and the job's run
    assert "<td>1</td>" in page


def test_a_lease_that_ran_out_says_no_scheduler_runs(client, make_user):
    with time_machine.travel(NOW, tick=False) as clock:
        hold_lease("machine-a:101:abc", 60)
        clock.shift(timedelta(seconds=61))
        page = system_page(client, make_user)
    assert "Scheduler: <strong>none</strong>: the last one, <code>machine-a:101:abc</code>" in page


def test_before_any_scheduler_ran_the_page_says_so(client, make_user):
    assert "Scheduler: <strong>none</strong> has run yet." in system_page(client, make_user)
