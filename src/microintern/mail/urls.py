"""Outbox and template pages, included in the project's "staff" namespace."""

from django.urls import path

from . import views

staff_urls = [
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/release/", views.release, name="outbox_release"),
    path("outbox/<int:pk>/", views.message_detail, name="outbox_message"),
    path("outbox/actions/<str:key>/", views.action_emails, name="action_emails"),
    path(
        "outbox/actions/<str:key>/decide/",
        views.decide_action_emails,
        name="decide_action_emails",
    ),
    path("outbox/<int:pk>/retry/", views.retry, name="outbox_retry"),
    path("students/<int:pk>/emails/", views.student_messages, name="student_messages"),
    path("host-contacts/<int:pk>/emails/", views.contact_messages, name="contact_messages"),
    path("email-templates/", views.template_list, name="email_templates"),
    path("email-templates/<str:role>/", views.template_edit, name="email_template"),
]
