"""Day feedback moves from applications into surveys: a new table, then every existing row is
copied across (applications' next migration removes the old table)."""

import django.db.models.deletion
from django.db import migrations, models

FIELDS = ("interest_id", "rating", "comment", "submitted_at")


def copy_rows(source, target):
    target.objects.bulk_create(
        target(**{field: getattr(row, field) for field in FIELDS})
        for row in source.objects.order_by("pk").iterator()
    )


def copy_into_surveys(apps, schema_editor):
    copy_rows(
        apps.get_model("applications", "DayFeedback"), apps.get_model("surveys", "DayFeedback")
    )


def copy_back_to_applications(apps, schema_editor):
    copy_rows(
        apps.get_model("surveys", "DayFeedback"), apps.get_model("applications", "DayFeedback")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0002_reminders_and_day_feedback"),
        ("surveys", "0002_seed_instruments"),
    ]

    operations = [
        migrations.CreateModel(
            name="DayFeedback",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("rating", models.PositiveSmallIntegerField(help_text="1 (poor) to 5 (excellent)")),
                ("comment", models.TextField(blank=True)),
                ("submitted_at", models.DateTimeField()),
                (
                    "interest",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="day_feedback",
                        to="applications.expressionofinterest",
                    ),
                ),
            ],
            options={
                "verbose_name": "day feedback",
                "verbose_name_plural": "day feedback",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("rating__gte", 1), ("rating__lte", 5)),
                        name="survey_day_feedback_rating_1_to_5",
                    )
                ],
            },
        ),
        migrations.RunPython(copy_into_surveys, copy_back_to_applications),
    ]
