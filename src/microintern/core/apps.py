from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "microintern.core"
    label = "core"
    verbose_name = "Core"
