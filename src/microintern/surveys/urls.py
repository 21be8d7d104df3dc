from django.urls import path

from .views import public, staff

app_name = "surveys"
urlpatterns = [
    path("surveys/<str:token>/", public.respond, name="respond"),
    path("insights/impact/", staff.impact_report, name="impact"),
    path("insights/impact/report.pdf", staff.impact_pdf, name="impact_pdf"),
]
