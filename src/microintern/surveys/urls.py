from django.urls import path

from .views import instruments, public, staff

app_name = "surveys"
urlpatterns = [
    path("surveys/<str:token>/", public.respond, name="respond"),
    path("insights/impact/", staff.impact_report, name="impact"),
    path("insights/impact/report.pdf", staff.impact_pdf, name="impact_pdf"),
    path(
        "insights/impact/export/<str:key>.<str:extension>",
        staff.impact_export,
        name="impact_export",
    ),
    path("staff/surveys/", instruments.instrument_list, name="instruments"),
    path("staff/surveys/<slug:slug>/edit/", instruments.edit_instrument, name="edit_instrument"),
]
