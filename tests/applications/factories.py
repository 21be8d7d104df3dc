"""factory-boy factories for applications: expressions of interest (places)."""

import factory
from django.utils import timezone

from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from tests.accounts.factories import StudentFactory
from tests.programme.factories import MicroInternshipFactory


class ExpressionOfInterestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpressionOfInterest

    student = factory.SubFactory(StudentFactory, with_user=True)
    micro_internship = factory.SubFactory(MicroInternshipFactory, open_now=True)
    statement = "I would like to help a local charity."
    received_at = factory.LazyFunction(timezone.now)
    state_changed_at = factory.LazyFunction(timezone.now)
    state = PlaceState.RECEIVED
