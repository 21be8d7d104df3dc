from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "microintern.surveys"
    label = "surveys"
    verbose_name = "Surveys"
