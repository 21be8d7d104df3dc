"""Day feedback moved from applications into surveys: the migration keeps every row."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.applications.factories import ExpressionOfInterestFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("applications", "0002_reminders_and_day_feedback"), ("surveys", "0002_seed_instruments")]
AFTER = [("applications", "0003_delete_day_feedback"), ("surveys", "0003_day_feedback")]


def migrate(targets=None):
    """Migrate the test database to `targets` (default: every app's latest migration)."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_day_feedback_is_copied_into_surveys_and_back():
    interest = ExpressionOfInterestFactory(state="attended")
    submitted = timezone.now()
    try:
        old_apps = migrate(BEFORE)
        old_apps.get_model("applications", "DayFeedback").objects.create(
            interest_id=interest.pk, rating=4, comment="Very good day", submitted_at=submitted
        )

        new_apps = migrate(AFTER)
        copied = new_apps.get_model("surveys", "DayFeedback").objects.get()
        assert (copied.interest_id, copied.rating, copied.comment, copied.submitted_at) == (
            interest.pk,
            4,
            "Very good day",
            submitted,
        )

        back = migrate(BEFORE).get_model("applications", "DayFeedback").objects.get()
        assert (back.interest_id, back.rating, back.comment) == (interest.pk, 4, "Very good day")
    finally:
        migrate()
