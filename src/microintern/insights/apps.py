from django.apps import AppConfig

from . import checks  # noqa: F401 - registers the student-record feed's deployment checks


class InsightsConfig(AppConfig):
    name = "microintern.insights"
    label = "insights"
    verbose_name = "Insights: equality monitoring, population, research"
