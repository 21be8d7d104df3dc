from django.db import migrations, models

from microintern.core.sealing import key_ring

SALT = "microintern.api.webhook_secret"


def seal_secrets(apps, schema_editor):
    subscriptions = apps.get_model("api", "WebhookSubscription")
    ring = key_ring(SALT)
    for subscription in subscriptions.objects.all():
        subscription.secret_sealed = ring.encrypt(subscription.secret.encode()).decode()
        subscription.save(update_fields=["secret_sealed"])


def open_secrets(apps, schema_editor):
    subscriptions = apps.get_model("api", "WebhookSubscription")
    ring = key_ring(SALT)
    for subscription in subscriptions.objects.all():
        subscription.secret = ring.decrypt(subscription.secret_sealed.encode()).decode()
        subscription.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="webhooksubscription",
            name="secret_sealed",
            field=models.TextField(
                default="",
                help_text="The whsec_… secret (shown once at creation), encrypted with a key "
                "derived from SECRET_KEY: a database dump or backup alone does not reveal it",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(seal_secrets, open_secrets),
        migrations.RemoveField(model_name="webhooksubscription", name="secret"),
    ]
