from django.urls import path

from . import views

app_name = "appeals"
urlpatterns = [
    # The reporter's appeal form, keyed by ?key= like the status page.
    path(
        "help/<slug:app_slug>/tickets/<slug:report_id>/appeal/",
        views.appeal_new,
        name="appeal_new",
    ),
    # The developer's appeals queue and the appeal panel.
    path("console/<slug:app_slug>/appeals/", views.appeal_list, name="appeal_list"),
    path(
        "console/<slug:app_slug>/appeals/<int:appeal_id>/",
        views.appeal_detail,
        name="appeal_detail",
    ),
    path(
        "console/<slug:app_slug>/appeals/<int:appeal_id>/screenshots/<int:position>/",
        views.appeal_screenshot,
        name="appeal_screenshot",
    ),
]
