from django.apps import AppConfig

from . import checks  # noqa: F401 - registers the system checks


class CoreConfig(AppConfig):
    name = "microintern.core"
    label = "core"
    verbose_name = "Core"
