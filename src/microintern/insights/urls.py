from django.urls import path

from .views import dashboard, population, research, student

app_name = "insights"
urlpatterns = [
    path("insights/export/<str:key>.<str:extension>", dashboard.export_table, name="export"),
    path("insights/research/", research.studies, name="research_export"),
    path("insights/research/<int:pk>/", research.study, name="research_study"),
    path("insights/research/<int:pk>/package.zip", research.package, name="research_package"),
    path("insights/population/", population.upload, name="population_upload"),
    path(
        "insights/population/template.csv",
        population.template_file,
        name="population_template",
    ),
    path("insights/population/feed/", population.feed, name="feed"),
    path("insights/population/codes/", population.codes, name="coding_mapping"),
    path("insights/population/<int:pk>/", population.report, name="population_report"),
    path("insights/population/<int:pk>/confirm/", population.confirm, name="population_confirm"),
    path("my/equality-monitoring/", student.equality_monitoring, name="equality_monitoring"),
    path(
        "my/equality-monitoring/delete/",
        student.delete_equality_monitoring,
        name="delete_equality_monitoring",
    ),
    path("my/research-consent/", student.research_consent, name="research_consent"),
    path(
        "my/research-consent/withdraw/",
        student.withdraw_research_consent,
        name="withdraw_research_consent",
    ),
]
