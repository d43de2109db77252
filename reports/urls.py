from django.urls import include, path

from . import views
from .insights import views as insights_views

app_name = "reports"
urlpatterns = [
    path("", views.console_home, name="console_home"),
    path("timezone/", views.timezone_choose, name="timezone"),
    path("", include("reports.team.urls")),
    path("", include("reports.app_settings.urls")),
    path("<slug:app_slug>/reports/", views.report_list, name="report_list"),
    path("<slug:app_slug>/insights/", insights_views.insights, name="insights"),
    path(
        "<slug:app_slug>/notifications/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("<slug:app_slug>/integration/keys/", include("reports.api_keys.urls")),
    path("<slug:app_slug>/integration/webhooks/", include("reports.webhooks.urls")),
    path("<slug:app_slug>/reports/bulk/", views.reports_bulk, name="reports_bulk"),
    path("<slug:app_slug>/saved-replies/", views.saved_replies, name="saved_replies"),
    path(
        "<slug:app_slug>/saved-replies/<int:saved_reply_id>/",
        views.saved_reply_edit,
        name="saved_reply_edit",
    ),
    path(
        "<slug:app_slug>/saved-replies/<int:saved_reply_id>/delete/",
        views.saved_reply_remove,
        name="saved_reply_delete",
    ),
    path("<slug:app_slug>/views/", views.saved_views, name="saved_views"),
    path(
        "<slug:app_slug>/views/<int:saved_view_id>/",
        views.saved_view_edit,
        name="saved_view_edit",
    ),
    path(
        "<slug:app_slug>/views/<int:saved_view_id>/delete/",
        views.saved_view_remove,
        name="saved_view_delete",
    ),
    path("<slug:app_slug>/reports/export.csv", views.reports_export, name="reports_export"),
    path(
        "<slug:app_slug>/reports/new-count/",
        views.reports_new_count,
        name="reports_new_count",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/",
        views.report_detail,
        name="report_detail",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/notes/",
        views.report_action,
        {"action": "notes"},
        name="report_notes",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/assign/",
        views.report_assign_view,
        name="report_assign",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/reply/",
        views.report_action,
        {"action": "reply"},
        name="report_reply",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/insert-reply/",
        views.report_action,
        {"action": "insert"},
        name="report_insert_reply",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/resolve/",
        views.report_action,
        {"action": "resolve"},
        name="report_resolve",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/dismiss/",
        views.report_action,
        {"action": "dismiss"},
        name="report_dismiss",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/reopen/",
        views.report_action,
        {"action": "reopen"},
        name="report_reopen",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/screenshots/<int:screenshot_id>/",
        views.screenshot,
        {"thumbnail": False},
        name="screenshot",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/added/<int:screenshot_id>/",
        views.added_screenshot,
        {"thumbnail": False},
        name="added_screenshot",
    ),
    path(
        "<slug:app_slug>/reports/<slug:report_id>/screenshots/<int:screenshot_id>/thumbnail/",
        views.screenshot,
        {"thumbnail": True},
        name="screenshot_thumbnail",
    ),
]
