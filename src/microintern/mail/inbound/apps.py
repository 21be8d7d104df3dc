from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "microintern.mail.inbound"
    label = "inbound"
    verbose_name = "Inbound email"
    default_auto_field = "django.db.models.BigAutoField"
