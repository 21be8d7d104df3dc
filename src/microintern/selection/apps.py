from django.apps import AppConfig


class SelectionConfig(AppConfig):
    name = "microintern.selection"
    label = "selection"
    verbose_name = "Selection rounds"
