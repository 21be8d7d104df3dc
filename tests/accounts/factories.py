"""factory-boy factories for accounts: users (with the demo's authenticator) and students."""

import factory
from allauth.mfa.totp.internal.auth import TOTP
from faker import Faker

from microintern.accounts.enums import Role
from microintern.accounts.models import Student, User

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
    TOTP.activate(user, TOTP_SECRET)
    return user


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
