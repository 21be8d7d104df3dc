"""Staff operations on micro-internships (namespace "staff") and the calendar feed,
included by the project's urls.py."""

from django.urls import path

from .views import staff

staff_urls = [
    path("challenges/<int:challenge_pk>/schedule/", staff.schedule, name="schedule"),
    path("micro-internships/<int:pk>/edit/", staff.edit, name="edit_micro_internship"),
    path(
        "micro-internships/<int:pk>/duplicate/",
        staff.duplicate,
        name="duplicate_micro_internship",
    ),
    path(
        "micro-internships/<int:pk>/interest-window/",
        staff.interest_window,
        name="interest_window",
    ),
    path("micro-internships/<int:pk>/register/", staff.register, name="register"),
    path("calendar/", staff.calendar_view, name="calendar"),
    path("calendar/feed/", staff.calendar_feed_token, name="calendar_feed_token"),
]
feed_urls = [
    path("calendar/<str:token>.ics", staff.calendar_feed, name="calendar_feed"),
]
