"""Included from reports/urls.py under <app_slug>/integration/webhooks/ (names in "reports:")."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.webhooks, name="webhooks"),
    path("<int:endpoint_id>/", views.webhook_detail, name="webhook_detail"),
    path("<int:endpoint_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path("<int:endpoint_id>/secret/", views.webhook_secret, name="webhook_secret"),
    path("<int:endpoint_id>/test/", views.webhook_test, name="webhook_test"),
    path(
        "<int:endpoint_id>/deliveries/<int:delivery_id>/resend/",
        views.webhook_resend,
        name="webhook_resend",
    ),
]
