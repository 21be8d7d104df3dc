from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "microintern.programme"
    label = "programme"
    verbose_name = "Micro-internships"
