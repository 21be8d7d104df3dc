"""Host pages (namespace "hosts"), included by the project's urls.py."""

from django.urls import path

from .views import host

host_urls = [
    path("offer/", host.propose, name="propose"),
    path("offer/sent/", host.proposal_sent, name="proposal_sent"),
    path("offer/confirm/<str:token>/", host.confirm, name="confirm_proposal"),
    path("micro-internships/<int:pk>/", host.micro_internship, name="micro_internship"),
    path("micro-internships/<int:pk>/briefings/", host.upload_briefing, name="upload_briefing"),
    path("micro-internships/<int:pk>/calendar.ics", host.calendar, name="calendar"),
    path("micro-internships/<int:pk>/feedback/", host.feedback, name="feedback"),
    path("briefings/<str:token>/", host.briefing, name="briefing"),
]
