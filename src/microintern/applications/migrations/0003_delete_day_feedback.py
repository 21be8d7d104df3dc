"""Day feedback now lives in surveys (its 0003 migration copied every row there)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0002_reminders_and_day_feedback"),
        ("surveys", "0003_day_feedback"),
    ]

    operations = [migrations.DeleteModel(name="DayFeedback")]
