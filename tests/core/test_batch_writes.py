"""Writing many rows at once: each row keeps its own values, nothing else changes."""

import pytest

from microintern.core.domain import activity_entry, log_activities, update_rows
from microintern.core.models import ActivityLog
from microintern.hosts.models import Organisation
from tests.hosts.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_update_rows_saves_each_rows_own_values_and_only_the_fields_named():
    first, second, untouched = OrganisationFactory.create_batch(3)
    first.name, first.sector = "Riverside Food Bank", "Food"
    second.name, second.sector = "Northgate Arts", "Arts"
    second.website = "https://not-saved.example"
    update_rows([first, second], ["name", "sector"])
    rows = {o.pk: o for o in Organisation.objects.all()}
    assert (rows[first.pk].name, rows[first.pk].sector) == ("Riverside Food Bank", "Food")
    assert (rows[second.pk].name, rows[second.pk].sector) == ("Northgate Arts", "Arts")
    assert rows[second.pk].website != "https://not-saved.example"  # not among the fields named
    assert rows[untouched.pk].name == untouched.name


def test_log_activities_writes_every_entry_with_its_subject():
    organisations = OrganisationFactory.create_batch(3)
    log_activities([activity_entry(o, "test.batched", n=i) for i, o in enumerate(organisations)])
    logged = ActivityLog.objects.filter(action="test.batched").order_by("data__n")
    assert [(row.subject, row.data["n"]) for row in logged] == [
        (o, i) for i, o in enumerate(organisations)
    ]
