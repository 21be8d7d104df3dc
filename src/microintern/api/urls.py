from django.urls import path

from . import views

staff_urls = [
    path("integrations/", views.integrations, name="integrations"),
    path("integrations/tokens/", views.create_token, name="create_api_token"),
    path("integrations/tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_api_token"),
    path("integrations/webhooks/", views.create_subscription, name="create_webhook"),
    path(
        "integrations/webhooks/<int:pk>/disable/",
        views.disable_subscription,
        name="disable_webhook",
    ),
    path("integrations/webhooks/<int:pk>/", views.deliveries, name="webhook_deliveries"),
]
