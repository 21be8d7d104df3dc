"""factory-boy factories for the programme: micro-internships on fixed local times of day."""

from datetime import datetime, time, timedelta

import factory
import time_machine
from django.utils import timezone

from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship
from tests.hosts.factories import ChallengeFactory


def local_day_at(days_from_today: int, at: time = time(9, 30)):
    """An aware datetime `days_from_today` local days from today at a fixed local time of
    day, so a micro-internship's day never wraps past midnight whatever the clock says."""
    day = timezone.localdate() + timedelta(days=days_from_today)
    return timezone.make_aware(datetime.combine(day, at))


def on_the_day(mi, hours: float = 1):
    """Move the clock (stopped) to `hours` after `mi` starts: its day, when the register,
    completion and certificates open. A staff client signs in again inside (staff sessions
    end after 30 idle minutes)."""
    return time_machine.travel(mi.starts_at + timedelta(hours=hours), tick=False)


class MicroInternshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MicroInternship

    class Params:
        open_now = factory.Trait(
            state=MicroInternshipState.OPEN,
            interest_opens_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=3)),
        )

    challenge = factory.SubFactory(ChallengeFactory)
    # MI-YYYY-NNN as staff give them, and in creation order however many a run makes.
    reference = factory.Sequence(lambda n: f"MI-{2026 + n // 900}-{n % 900 + 100:03d}")
    starts_at = factory.LazyFunction(lambda: local_day_at(30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=7))
    venue_address = "1 High Street\nMidtown"
    capacity = 10
    interest_opens_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=40))
    interest_closes_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=10))
    state = MicroInternshipState.DRAFT
