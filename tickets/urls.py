from django.urls import path, re_path
from django.views.i18n import set_language

from . import api, handling_api, views

app_name = "tickets"
urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("help/<slug:app_slug>/", views.help_home, name="help_home"),
    path("help/<slug:app_slug>/check/", views.report_check, name="report_check"),
    path("help/<slug:app_slug>/new/<slug:category>/", views.report_new, name="report_new"),
    path(
        "help/<slug:app_slug>/tickets/<slug:report_id>/",
        views.report_status,
        name="report_status",
    ),
    path(
        "help/<slug:app_slug>/tickets/<slug:report_id>/add/",
        views.report_add_information,
        name="report_add_information",
    ),
    path(
        "help/<slug:app_slug>/tickets/<slug:report_id>/screenshots/<int:position>/",
        views.report_screenshot,
        name="report_screenshot",
    ),
    path(
        "help/<slug:app_slug>/tickets/<slug:report_id>/screenshots/<int:position>/thumbnail/",
        views.report_screenshot,
        {"thumbnail": True},
        name="report_screenshot_thumbnail",
    ),
    path("api/v1/openapi.json", api.openapi_document, name="api_openapi"),
    # POST signed (file a report) or GET with an API key (list): see handling_api.
    path(
        "api/v1/apps/<slug:app_slug>/reports",
        handling_api.reports_collection,
        name="api_reports",
    ),
    # GET signed (the reporter-side status), GET or PATCH with an API key (handling).
    path(
        "api/v1/apps/<slug:app_slug>/reports/<str:report_id>",
        handling_api.report_resource,
        name="api_report_detail",
    ),
    path(
        "api/v1/apps/<slug:app_slug>/reports/<str:report_id>/resolve",
        handling_api.report_resolve_view,
        name="api_report_resolve",
    ),
    path(
        "api/v1/apps/<slug:app_slug>/reports/<str:report_id>/dismiss",
        handling_api.report_dismiss_view,
        name="api_report_dismiss",
    ),
    path(
        "api/v1/apps/<slug:app_slug>/reports/<str:report_id>/replies",
        handling_api.report_replies_view,
        name="api_report_replies",
    ),
    path(
        "api/v1/apps/<slug:app_slug>/reports/<str:report_id>/screenshots/<int:screenshot_id>",
        handling_api.report_screenshot,
        name="api_report_screenshot",
    ),
    # Last: every other path under /api/v1/ answers a JSON 404 (see api.not_found).
    re_path(r"^api/v1/(?P<path>.*)$", api.not_found, name="api_not_found"),
]
