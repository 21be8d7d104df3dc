"""Inbound mail pages: staff's inbox (in the project's "staff" namespace) and the sender's
"did we understand you?" page (namespace "inbound")."""

from django.urls import path

from .views import public, staff

staff_urls = [
    path("inbox/", staff.inbox, name="inbound"),
    path("inbox/bulk/", staff.bulk, name="inbound_bulk"),
    path("inbox/<int:pk>/", staff.message_detail, name="inbound_message"),
    path("inbox/<int:pk>/raw.eml", staff.raw, name="inbound_raw"),
    path("inbox/<int:pk>/attachments/<int:index>/", staff.attachment, name="inbound_attachment"),
    path("inbox/<int:pk>/link/", staff.link, name="inbound_link"),
    path("inbox/<int:pk>/set-aside/", staff.set_aside, name="inbound_set_aside"),
    path("inbox/<int:pk>/reprocess/", staff.reprocess, name="inbound_reprocess"),
    path("inbox/<int:pk>/restore/", staff.restore, name="inbound_restore"),
    path("inbox/<int:pk>/reply/", staff.reply, name="inbound_reply"),
]
public_patterns = (
    [
        path("check/<str:token>/", public.check, name="check"),
        path("address/<str:token>/", public.confirm_address, name="confirm_address"),
    ],
    "inbound",
)
