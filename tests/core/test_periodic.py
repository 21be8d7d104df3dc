"""Two schedulers (two `run_periodic` processes, say on two machines) compete: one holds the
lease and runs the jobs, each job runs once per period, and when the holder crashes the
other takes over once its lease has run out, without running any job twice in a period.

The schedulers are driven tick by tick on a moved clock (time_machine), in both orders."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from microintern.core.models import PeriodicJobRun, SchedulerLease
from microintern.core.periodic import Scheduler, claim_run, hold_lease, release_lease

pytestmark = pytest.mark.django_db(transaction=True)  # the scheduler closes old connections

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LEASE = 10
EVERY_5 = "tests.core.test_periodic.every_five_seconds"
EVERY_7 = "tests.core.test_periodic.every_seven_seconds"


class Calls:
    """When each test job ran (the moved clock's time)."""

    log: list[tuple[str, datetime]] = []


def every_five_seconds():
    Calls.log.append((EVERY_5, datetime.now(UTC)))


def every_seven_seconds():
    Calls.log.append((EVERY_7, datetime.now(UTC)))


@pytest.fixture(autouse=True)
def empty_log():
    Calls.log = []


def two_schedulers() -> tuple[Scheduler, Scheduler]:
    jobs = {EVERY_5: (every_five_seconds, 5), EVERY_7: (every_seven_seconds, 7)}
    return (
        Scheduler(jobs=jobs, lease_seconds=LEASE, holder="machine-a:101"),
        Scheduler(jobs=jobs, lease_seconds=LEASE, holder="machine-b:202"),
    )


def run_for(seconds: int, clock, *schedulers: Scheduler) -> dict[str, list[str]]:
    """Tick every scheduler once a second for `seconds`, alternating who goes first; the
    paths each one ran."""
    ran = {s.holder: [] for s in schedulers}
    for second in range(seconds):
        order = schedulers if second % 2 else tuple(reversed(schedulers))
        for scheduler in order:
            ran[scheduler.holder] += scheduler.tick()
        clock.shift(timedelta(seconds=1))
    return ran


def run_times(path: str) -> list[float]:
    return [(at - START).total_seconds() for p, at in Calls.log if p == path]


@pytest.mark.parametrize("first", [0, 1])
def test_of_two_competing_schedulers_one_runs_each_job_once_per_period(first):
    with time_machine.travel(START, tick=False) as clock:
        schedulers = two_schedulers()
        schedulers[first].tick()  # this one comes up first and takes the lease
        ran = run_for(60, clock, *schedulers)
    holder, standby = schedulers[first], schedulers[1 - first]
    assert ran[standby.holder] == []
    assert run_times(EVERY_5) == [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]
    assert run_times(EVERY_7) == [0, 7, 14, 21, 28, 35, 42, 49, 56]
    runs = {r.path: r for r in PeriodicJobRun.objects.all()}
    assert runs[EVERY_5].run_count == 12
    assert runs[EVERY_5].last_run_by == holder.holder
    assert SchedulerLease.objects.get().holder == holder.holder


def test_when_the_scheduler_crashes_the_other_takes_over_after_its_lease_runs_out():
    with time_machine.travel(START, tick=False) as clock:
        crashed, survivor = two_schedulers()
        crashed.tick()
        run_for(21, clock, crashed, survivor)  # crashed runs the jobs at 0, 5, 10, 15, 20
        # crashed dies without giving the lease back (SIGKILL, power cut): it ticks no more.
        ran = run_for(39, clock, survivor)
    lease = SchedulerLease.objects.get()
    assert lease.holder == survivor.holder
    taken_at = (lease.acquired_at - START).total_seconds()
    # The lease was last renewed by 21 s at the latest, so it ran out by 31 s; the survivor
    # took it at the first tick after it did, and not before.
    assert 21 < taken_at <= 21 + LEASE
    assert ran[survivor.holder]
    times = run_times(EVERY_5)
    assert times[:5] == [0, 5, 10, 15, 20]
    assert all(later - earlier >= 5 for earlier, later in zip(times, times[1:], strict=False))
    assert times[5] == taken_at  # the job was due long ago: it runs at the take-over
    assert PeriodicJobRun.objects.get(path=EVERY_5).last_run_by == survivor.holder


def test_a_scheduler_that_stops_cleanly_hands_over_at_once():
    with time_machine.travel(START, tick=False) as clock:
        leaving, staying = two_schedulers()
        leaving.tick()
        clock.shift(timedelta(seconds=5))
        leaving.stop()
        assert staying.tick() == [EVERY_5]  # no wait for the lease to run out
    assert SchedulerLease.objects.get().holder == staying.holder


def test_a_job_is_claimed_once_per_period_even_without_the_lease():
    """The second guard: should two processes both think they are the scheduler (a holder
    that ran a job longer than its lease, say), the claim on the job's row still lets only
    one of them start it in each period."""
    with time_machine.travel(START, tick=False) as clock:
        assert claim_run(EVERY_5, 5, "machine-a:101") is not None
        assert claim_run(EVERY_5, 5, "machine-b:202") is None
        clock.shift(timedelta(seconds=4.9))
        assert claim_run(EVERY_5, 5, "machine-b:202") is None
        clock.shift(timedelta(seconds=0.1))
        assert claim_run(EVERY_5, 5, "machine-b:202").last_run_by == "machine-b:202"
        assert claim_run(EVERY_5, 5, "machine-a:101") is None
    assert PeriodicJobRun.objects.get(path=EVERY_5).run_count == 2


def test_a_lease_is_renewed_by_its_holder_and_refused_to_others_until_it_runs_out():
    with time_machine.travel(START, tick=False) as clock:
        assert hold_lease("machine-a:101", LEASE) == START + timedelta(seconds=LEASE)
        assert hold_lease("machine-b:202", LEASE) is None
        clock.shift(timedelta(seconds=LEASE - 1))
        assert hold_lease("machine-a:101", LEASE) is not None  # renewed until 19 s
        clock.shift(timedelta(seconds=LEASE - 1))
        assert hold_lease("machine-b:202", LEASE) is None
        release_lease("machine-b:202")  # not the holder: changes nothing
        assert hold_lease("machine-b:202", LEASE) is None
        clock.shift(timedelta(seconds=1))
        assert hold_lease("machine-b:202", LEASE) is not None


def test_run_periodic_once_runs_what_is_due_and_leaves_the_lease_free(settings):
    settings.MICROINTERN_PERIODIC_JOBS = {EVERY_5: 5}
    with time_machine.travel(START, tick=False) as clock:
        call_command("run_periodic", "--once")
        call_command("run_periodic", "--once")  # cron twice within the period: not due
        clock.shift(timedelta(seconds=5))
        call_command("run_periodic", "--once")
        assert hold_lease("machine-b:202", LEASE) is not None  # given back by --once
    assert run_times(EVERY_5) == [0, 5]
