"""factory-boy factories for the core domain."""

from datetime import datetime, time, timedelta

import factory
from django.utils import timezone
from faker import Faker

from microintern.accounts.enums import Role
from microintern.accounts.models import Student, User
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.hosts.enums import OrganisationKind, SizeBand
from microintern.hosts.models import Challenge, HostContact, Organisation
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

FAKE = Faker("en_GB")  # first and last names only: "Dr" or "Mrs" is nobody's first name
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.ac.uk")
    full_name = factory.LazyFunction(lambda: f"{FAKE.first_name()} {FAKE.last_name()}")
    role = Role.STUDENT
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def with_totp(user):
    """Give a staff-side user the authenticator the demo uses, as they must have."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, TOTP_SECRET)
    return user


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Host Organisation {n}")
    kind = OrganisationKind.CHARITY
    sector = "Community"
    size_band = SizeBand.SMALL
    address = "1 High Street\nMidtown"


class HostContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HostContact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"contact{n}@host.example")


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    contact = factory.SubFactory(HostContactFactory)
    organisation = factory.SelfAttribute("contact.organisation")
    title = factory.Sequence(lambda n: f"Challenge {n}")
    context = "A small charity."
    question = "How should we recruit volunteers?"
    good_outcome = "Three options and a recommendation."


def local_day_at(days_from_today: int, at: time = time(9, 30)):
    """An aware datetime `days_from_today` local days from today at a fixed local time of
    day, so a micro-internship's day never wraps past midnight whatever the clock says."""
    day = timezone.localdate() + timedelta(days=days_from_today)
    return timezone.make_aware(datetime.combine(day, at))


class MicroInternshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MicroInternship

    class Params:
        open_now = factory.Trait(
            state=MicroInternshipState.OPEN,
            interest_opens_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=3)),
        )

    challenge = factory.SubFactory(ChallengeFactory)
    reference = factory.Sequence(lambda n: f"MI-2026-{n + 100:03d}")
    starts_at = factory.LazyFunction(lambda: local_day_at(30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=7))
    venue_address = "1 High Street\nMidtown"
    capacity = 10
    interest_opens_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=40))
    interest_closes_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=10))
    state = MicroInternshipState.DRAFT


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    class Params:
        with_user = factory.Trait(
            user=factory.SubFactory(
                UserFactory, role=Role.STUDENT, email=factory.SelfAttribute("..email")
            )
        )

    student_number = factory.Sequence(lambda n: f"S{n:07d}")
    email = factory.Sequence(lambda n: f"student{n}@example.ac.uk")
    full_name = factory.LazyFunction(lambda: f"{FAKE.first_name()} {FAKE.last_name()}")
    programme = "BA Business Management"
    school = "Business School"


class ExpressionOfInterestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpressionOfInterest

    student = factory.SubFactory(StudentFactory, with_user=True)
    micro_internship = factory.SubFactory(MicroInternshipFactory, open_now=True)
    statement = "I would like to help a local charity."
    received_at = factory.LazyFunction(timezone.now)
    state_changed_at = factory.LazyFunction(timezone.now)
    state = PlaceState.RECEIVED
