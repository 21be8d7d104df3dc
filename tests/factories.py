"""Every app's factories in one import, for tests written before factories lived per app
(tests/<app>/factories.py)."""

from tests.accounts.factories import TOTP_SECRET, StudentFactory, UserFactory, with_totp
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory, HostContactFactory, OrganisationFactory
from tests.programme.factories import MicroInternshipFactory, local_day_at

__all__ = [
    "TOTP_SECRET",
    "ChallengeFactory",
    "ExpressionOfInterestFactory",
    "HostContactFactory",
    "MicroInternshipFactory",
    "OrganisationFactory",
    "StudentFactory",
    "UserFactory",
    "local_day_at",
    "with_totp",
]
