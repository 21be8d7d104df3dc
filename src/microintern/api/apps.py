from django.apps import AppConfig

from microintern.applications import hooks as applications_hooks
from microintern.programme import hooks as programme_hooks


class ApiConfig(AppConfig):
    name = "microintern.api"
    label = "api"
    verbose_name = "API for the university's other systems"

    def ready(self):
        """Webhook subscriptions hear of state changes through the lower apps' hooks: a
        micro-internship scheduled or moved, a place moved (attendance included)."""
        from . import webhooks  # noqa: PLC0415 - models load only once the app registry is ready

        programme_hooks.on_micro_internship_scheduled(webhooks.after_micro_internship_scheduled)
        programme_hooks.on_micro_internship_change(webhooks.after_micro_internship_change)
        applications_hooks.on_place_change(webhooks.after_place_change)
