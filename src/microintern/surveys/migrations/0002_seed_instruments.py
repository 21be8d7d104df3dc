from django.db import migrations


def seed(apps, schema_editor):
    from microintern.surveys.instruments import install

    install(
        apps.get_model("surveys", "Instrument"),
        apps.get_model("surveys", "InstrumentVersion"),
        apps.get_model("surveys", "Item"),
    )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
