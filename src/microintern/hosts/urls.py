"""Host pages (namespace "hosts") and staff operations on micro-internships (namespace
"staff"), included by the project's urls.py."""

from django.urls import path

from microintern.programme.views import staff as programme_staff

from .views import host

host_urls = [
    path("offer/", host.propose, name="propose"),
    path("offer/sent/", host.proposal_sent, name="proposal_sent"),
    path("micro-internships/<int:pk>/", host.micro_internship, name="micro_internship"),
    path("micro-internships/<int:pk>/briefings/", host.upload_briefing, name="upload_briefing"),
    path("micro-internships/<int:pk>/calendar.ics", host.calendar, name="calendar"),
    path("micro-internships/<int:pk>/feedback/", host.feedback, name="feedback"),
    path("briefings/<str:token>/", host.briefing, name="briefing"),
]
staff_urls = [
    path("challenges/<int:challenge_pk>/schedule/", programme_staff.schedule, name="schedule"),
    path("micro-internships/<int:pk>/edit/", programme_staff.edit, name="edit_micro_internship"),
    path(
        "micro-internships/<int:pk>/interest-window/",
        programme_staff.interest_window,
        name="interest_window",
    ),
    path("micro-internships/<int:pk>/register/", programme_staff.register, name="register"),
    path("calendar/", programme_staff.calendar_view, name="calendar"),
    path("calendar/feed/", programme_staff.calendar_feed_token, name="calendar_feed_token"),
]
feed_urls = [
    path("calendar/<str:token>.ics", programme_staff.calendar_feed, name="calendar_feed"),
]
