from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "microintern.insights"
    label = "insights"
    verbose_name = "Insights: equality monitoring, population, research"
