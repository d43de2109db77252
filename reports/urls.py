from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.console_home, name="console_home"),
    path("<slug:app_slug>/reports/", views.report_list, name="report_list"),
]
