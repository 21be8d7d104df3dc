"""Selection URLs: staff pages (inside the staff namespace) and the public policy page."""

from django.urls import path

from .views import public, staff

staff_urls = [
    path("selection/", staff.round_list, name="selection_rounds"),
    path("selection/new/", staff.round_new, name="selection_round_new"),
    path("selection/<int:pk>/", staff.round_detail, name="selection_round"),
    path("selection/<int:pk>/policy/", staff.round_policy, name="selection_policy"),
    path("selection/<int:pk>/dry-run/", staff.round_dry_run, name="selection_dry_run"),
    path("selection/<int:pk>/close/", staff.round_close, name="selection_close"),
    path("selection/<int:pk>/reopen/", staff.round_reopen, name="selection_reopen"),
    path("selection/<int:pk>/overrides/", staff.round_override, name="selection_override"),
    path(
        "selection/<int:pk>/overrides/<int:override_pk>/remove/",
        staff.round_override_remove,
        name="selection_override_remove",
    ),
    path("selection/<int:pk>/publish/", staff.round_publish, name="selection_publish"),
    path("selection/<int:pk>/second-round/", staff.round_second, name="selection_second_round"),
]
public_urls = [
    path("selection/", public.rounds, name="selection_rounds"),
    path("selection/<int:pk>/", public.round_policy, name="selection_round"),
    path("selection/<int:pk>/audit.json", public.audit_file, name="selection_audit"),
    path("selection/<int:pk>/my-cutoff/", public.my_cutoff, name="selection_my_cutoff"),
]
