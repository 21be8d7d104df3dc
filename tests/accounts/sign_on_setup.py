"""What the tests of signing in through a real identity provider share, whichever the
protocol: their marks, the administrators' rule that the provider's "bc-staff" group gives
the staff role, and who the site takes a browser's session to be."""

import pytest

from microintern.accounts.enums import Role
from microintern.accounts.models import IdentityProviderGroupRole


def through_a_real_provider(configured_by: str, *, transaction: bool = False) -> list:
    """The marks of a test module that signs in through a provider run locally, set up for
    the site by the fixture named `configured_by` (`transaction`: for a live server). The
    provider dates its tokens and assertions by the machine's clock, which a moved clock
    here cannot move: real_clock."""
    return [
        pytest.mark.django_db(transaction=transaction),
        pytest.mark.usefixtures(configured_by),
        pytest.mark.real_clock,
    ]


def staff_group_rule_for(provider_id: str):
    """A fixture: the rule that the provider's "bc-staff" group gives the staff role."""

    @pytest.fixture
    def staff_group_rule(db):
        return IdentityProviderGroupRole.objects.create(
            provider_id=provider_id, group="bc-staff", role=Role.STAFF
        )

    return staff_group_rule


def signed_in_user(client):
    """The user the site takes the client's session to be (anonymous when signed out)."""
    return client.get("/home/").wsgi_request.user
