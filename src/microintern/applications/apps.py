from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "microintern.applications"
    label = "applications"
    verbose_name = "Expressions of interest and places"
