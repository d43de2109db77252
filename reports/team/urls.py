from django.urls import path

from . import views

# Included from reports/urls.py, inside its "reports" namespace.
urlpatterns = [
    path("<slug:app_slug>/team/", views.team, name="team"),
    path("<slug:app_slug>/team/invite/", views.team_invite, name="team_invite"),
    path(
        "<slug:app_slug>/team/invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "<slug:app_slug>/team/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "<slug:app_slug>/team/members/<int:membership_id>/role/",
        views.member_role,
        name="member_role",
    ),
    path(
        "<slug:app_slug>/team/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
]
