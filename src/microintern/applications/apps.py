from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "microintern.applications"
    label = "applications"
    verbose_name = "Expressions of interest and places"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment checks)
