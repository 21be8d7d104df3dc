from django.apps import AppConfig

from . import checks  # noqa: F401 - registers the system checks


class CoreConfig(AppConfig):
    name = "microintern.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from django.core.signals import request_finished  # noqa: PLC0415 - signals at ready()

        from .logging import forget_request_id  # noqa: PLC0415 - apps are loaded by now

        request_finished.connect(forget_request_id, dispatch_uid="forget_request_id")
