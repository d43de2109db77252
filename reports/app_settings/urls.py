"""Included from reports/urls.py under /console/ (the names stay in the "reports" namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("support-email/<str:token>/", views.support_email_verify, name="support_email_verify"),
    path("<slug:app_slug>/settings/", views.app_settings, name="app_settings"),
    path("<slug:app_slug>/settings/name/", views.app_name, name="app_name"),
    path("<slug:app_slug>/settings/support-email/", views.support_email, name="support_email"),
    path(
        "<slug:app_slug>/settings/support-email/resend/",
        views.support_email_resend,
        name="support_email_resend",
    ),
    path(
        "<slug:app_slug>/settings/help-intro/<slug:language>/",
        views.help_intro,
        name="help_intro",
    ),
    path("<slug:app_slug>/settings/faq/", views.faq_add, name="faq_add"),
    path("<slug:app_slug>/settings/faq/<int:entry_id>/", views.faq_edit, name="faq_edit"),
    path(
        "<slug:app_slug>/settings/faq/<int:entry_id>/delete/",
        views.faq_delete,
        name="faq_delete",
    ),
    path("<slug:app_slug>/settings/secret/reveal/", views.secret_reveal, name="secret_reveal"),
    path("<slug:app_slug>/settings/secret/rotate/", views.secret_rotate, name="secret_rotate"),
    path("<slug:app_slug>/integration/", views.integration, name="integration"),
    path("<slug:app_slug>/integration/test-report/", views.test_report, name="test_report"),
]
