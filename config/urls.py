from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from reports import health
from reports.accounts import ThrottledPasswordResetView
from reports.login_throttle import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm
from reports.team.views import invitation_accept

# Repeated failed sign-ins lock the username + address pair out, on the admin login too.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    # Answered by reports.health.HealthProbeMiddleware before any host check; named here so
    # reverse() and the access matrix know them.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_reset/",
        ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/invitations/<str:token>/", invitation_accept, name="invitation_accept"),
    path("console/", include("reports.urls")),
    path("", include("tickets.urls")),
    path("", include("appeals.urls")),
]

# The error pages in the site's style (config/errors.py); CSRF failures: CSRF_FAILURE_VIEW.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
