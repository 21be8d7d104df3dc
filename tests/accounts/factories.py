"""factory-boy factories for accounts: users (with the demo's authenticator) and students;
signing a test client in as a user would."""

import factory
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.test import RequestFactory
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


def record_second_factor(session, user) -> None:
    """Write into `session` what allauth records when `user` signs in with their password
    and then their authenticator's code (the session must already hold `user`)."""
    authenticator = user.authenticator_set.exclude(type=Authenticator.Type.RECOVERY_CODES).first()
    request = RequestFactory().get("/")
    request.session, request.user = session, user
    record_authentication(request, user, method="password", email=user.email)
    record_authentication(request, user, method="mfa", id=authenticator.pk, type=authenticator.type)


def sign_in(client, user) -> None:
    """Sign the test client in as `user` the way they sign in themselves: staff-side users
    (who have an authenticator) have also passed the code step in this session."""
    client.force_login(user)
    if user.needs_mfa and user.authenticator_set.exists():
        session = client.session
        record_second_factor(session, user)
        session.save()
