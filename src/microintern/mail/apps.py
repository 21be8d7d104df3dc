from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "microintern.mail"
    label = "mail"
    verbose_name = "Email outbox and templates"
