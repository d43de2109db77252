from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.login_throttle import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm

# Repeated failed sign-ins lock the username + address pair out, on the admin login too.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("console/", include("reports.urls")),
    path("", include("tickets.urls")),
    path("", include("appeals.urls")),
]
