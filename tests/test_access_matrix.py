"""The access-control matrix: every URL the project serves x every kind of visitor.

Each cell states exactly what that visitor gets. A 200 must carry the tenant's data marker
(the page really is the data), a 404 must not (nothing leaks with the refusal), a POST that is
refused must change nothing. test_every_url_pattern_has_a_row walks the URL resolver, so a new
URL without a row here fails the suite.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from appeals.models import Appeal
from reports.api_keys.services import api_key_create
from reports.models import (
    ApiKey,
    AppEvent,
    Category,
    FaqEntry,
    HelpIntro,
    Invitation,
    Membership,
    MiniApp,
    Report,
    ReportEvent,
    SavedReply,
    SavedView,
)
from reports.services import Dismissal, report_dismiss, report_resolve
from reports.team.services import token_hash
from reports.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.tickets.api_client import signed_headers
from tickets.services import report_information_add

pytestmark = pytest.mark.django_db

VISITORS = (
    "anonymous",
    "key_ok",
    "key_bad",
    "owner",
    "handler",
    "viewer",
    "outsider",
    "inactive",
    "staff",
)
KEYED = ("key_ok", "key_bad")
# The members of acme, one per role (reports.models.MemberRole).
MEMBERS = ("owner", "handler", "viewer")
SIGNED_IN = (*MEMBERS, "outsider", "staff")
DETAILS = "Acme tenant data marker 7QX"  # only in acme's report: its details
REASON = "Acme appeal marker 9ZK: the refund never arrived on my card."
WRONG_KEY = "not-the-key-0123456789"
SAVED_TITLE = "Acme saved reply marker 5RT"
INVITATION_TOKEN = "matrix-invitation-token-0123456789abcdef"
WEBHOOK_URL = "https://93.184.216.34/acme-webhook-marker-3WQ"
VIEW_NAME = "Acme saved view marker 3VW"


@dataclass(frozen=True)
class Expect:
    """One cell: a status and what the response must (not) show.

    show: "marker" (the row's tenant marker is in the body), "image" (an image is served),
    "login"/"admin_login" (a redirect to that sign-in page), a path prefix the redirect goes to,
    or "" (status only). A 404 always checks that the marker is absent.
    """

    status: int
    show: str = ""


OK = Expect(200, "marker")
IMAGE = Expect(200, "image")
LOGIN = Expect(302, "login")
ADMIN_LOGIN = Expect(302, "admin_login")
NOT_FOUND = Expect(404)
FORBIDDEN = Expect(403)  # a member whose role does not allow the change: nothing changes
UNSIGNED = Expect(401)


def cells(default: Expect, **by_visitor: Expect) -> dict[str, Expect]:
    return {visitor: by_visitor.get(visitor, default) for visitor in VISITORS}


def console(
    member: Expect,
    *,
    handler: Expect | None = None,
    viewer: Expect | None = None,
    staff: Expect = NOT_FOUND,
) -> dict[str, Expect]:
    """A per-app console URL: members only (each role as `member` unless told otherwise);
    everyone signed out goes to sign in."""
    return cells(
        LOGIN,
        owner=member,
        handler=member if handler is None else handler,
        viewer=member if viewer is None else viewer,
        outsider=NOT_FOUND,
        staff=staff,
    )


def handling(allowed: Expect) -> dict[str, Expect]:
    """A handling POST (reports, appeals): owners and handlers; a viewer is refused."""
    return console(allowed, viewer=FORBIDDEN)


def managing(allowed: Expect) -> dict[str, Expect]:
    """A POST that manages the app (team, settings, secrets): owners only."""
    return console(allowed, handler=FORBIDDEN, viewer=FORBIDDEN)


def keyed(right: Expect) -> dict[str, Expect]:
    """A reporter URL: the right ?key= only; no key or a wrong one is a plain 404."""
    return cells(NOT_FOUND, key_ok=right)


@dataclass(frozen=True)
class Row:
    id: str
    name: str  # the URL pattern's name, namespaced, as the completeness walk sees it
    expect: dict[str, Expect]
    path: Callable  # (world) -> path, without the ?key= (added for keyed rows)
    method: str = "get"
    data: Callable | None = None  # (world) -> POST data
    marker: Callable = lambda w: DETAILS  # (world) -> text the 200 must contain
    key_of: Callable | None = None  # (world) -> the report whose ?key= a reporter holds
    api: str = ""  # "signed" | "unsigned" | "bearer" (an API key): API request headers
    body: Callable | None = None  # (world) -> raw JSON body for the API
    mutates: Callable | None = None  # (world) -> state that a refused POST must not change
    extra: dict = field(default_factory=dict)


def _rv(name: str, *args) -> str:
    return reverse(name, args=args)


def _report_state(w) -> tuple:
    return tuple(
        Report.objects.filter(mini_app=w.app).order_by("pk").values_list("version", "status")
    )


def _report_history_state(w) -> tuple:
    # A reply changes no column of the report: its history line (and e-mail) is the change.
    return _report_state(w), ReportEvent.objects.filter(report__mini_app=w.app).count()


def _notification_state(w) -> tuple:
    return tuple(
        Membership.objects.filter(mini_app=w.app)
        .order_by("pk")
        .values_list(
            "email_past_due",
            "user__member_preferences__daily_summary",
            "user__member_preferences__daily_summary_hour",
            "user__member_preferences__timezone_name",
        )
    )


def _team_state(w) -> tuple:
    return tuple(
        Membership.objects.filter(mini_app=w.app).order_by("pk").values_list("user_id", "role")
    )


def _invitation_state(w) -> tuple:
    return tuple(
        Invitation.objects.filter(mini_app=w.app)
        .order_by("pk")
        .values_list("email", "token_hash", "revoked_at", "accepted_at")
    )


def _team_action(name: str, target: Callable, data: Callable, mutates: Callable) -> Row:
    return Row(
        id=name.split(":")[1],
        name=name,
        method="post",
        path=lambda w: _rv(name, "acme", target(w)),
        data=data,
        marker=lambda w: "invitee@example.org",
        mutates=mutates,
        expect=managing(Expect(302, "/console/acme/team/")),
    )


def _appeal_state(w) -> tuple:
    return (_report_state(w), Appeal.objects.get(pk=w.appeal.pk).state)


def _action(name: str, report_attr: str, member: Expect = Expect(302, "/console/acme/reports/")):
    return Row(
        id=name.split(":")[1],
        name=name,
        method="post",
        path=lambda w: _rv(name, "acme", getattr(w, report_attr).report_id),
        data=lambda w: {
            "version": getattr(w, report_attr).version,
            "notes": "Member's note.",
            "reply": "Member's reply.",
            "reason": "not_reproducible",
        },
        expect=handling(member),
        mutates=_report_history_state,
    )


ROWS = [
    # --- Developer console
    Row(
        "console_home",
        "reports:console_home",
        path=lambda w: _rv("reports:console_home"),
        marker=lambda w: "Acme Shop",
        expect=cells(
            LOGIN,
            **dict.fromkeys(MEMBERS, Expect(302, "/console/acme/reports/")),
            outsider=Expect(302, "/console/globex/reports/"),
            staff=Expect(200),  # no app of their own: the empty console, nothing of acme's
        ),
    ),
    Row(
        "report_list",
        "reports:report_list",
        path=lambda w: _rv("reports:report_list", "acme"),
        marker=lambda w: w.pending.report_id,
        expect=console(OK),
    ),
    Row(
        "report_panel",
        "reports:report_detail",
        path=lambda w: _rv("reports:report_detail", "acme", w.pending.report_id),
        expect=console(OK),
    ),
    Row(
        "report_panel_other_apps_report_under_my_app",
        "reports:report_detail",
        path=lambda w: _rv("reports:report_detail", "acme", w.globex_report.report_id),
        marker=lambda w: "Globex tenant data",
        expect=console(NOT_FOUND),
    ),
    _action("reports:report_notes", "pending"),
    _action("reports:report_resolve", "pending"),
    _action("reports:report_dismiss", "pending"),
    # Its notes are not saved by a reply: the panel shows them again as not saved yet.
    _action("reports:report_reply", "pending", member=OK),
    # Fills the reply box and changes nothing, for anyone (so no `mutates`): the panel again,
    # with the reply inserted; tests/reports/test_saved_replies.py checks nothing is stored.
    Row(
        "report_insert_reply",
        "reports:report_insert_reply",
        method="post",
        path=lambda w: _rv("reports:report_insert_reply", "acme", w.pending.report_id),
        data=lambda w: {"version": w.pending.version, "saved_reply": w.saved_reply.pk},
        expect=console(OK),  # a viewer too: it changes nothing
    ),
    _action("reports:report_reopen", "handled"),
    Row(
        "report_assign",
        "reports:report_assign",
        method="post",
        path=lambda w: _rv("reports:report_assign", "acme", w.pending.report_id),
        data=lambda w: {"version": w.pending.version, "assign_me": "on"},
        expect=handling(Expect(302, "/console/acme/reports/")),
        mutates=_report_history_state,
    ),
    # Saved views: every member keeps their own; the world's one is the owner's, shared.
    Row(
        "saved_views",
        "reports:saved_views",
        path=lambda w: _rv("reports:saved_views", "acme"),
        marker=lambda w: VIEW_NAME,
        expect=console(OK),
    ),
    Row(
        "saved_view_add",
        "reports:saved_views",
        method="post",
        path=lambda w: _rv("reports:saved_views", "acme"),
        data=lambda w: {"name": "A member view", "query": "status=pending"},
        mutates=lambda w: SavedView.objects.count(),
        expect=console(Expect(302, "/console/acme/reports/")),
    ),
    Row(
        "saved_view_edit",
        "reports:saved_view_edit",
        method="post",
        path=lambda w: _rv("reports:saved_view_edit", "acme", w.saved_view.pk),
        data=lambda w: {f"view-{w.saved_view.pk}-name": "Renamed"},
        marker=lambda w: VIEW_NAME,
        mutates=lambda w: tuple(SavedView.objects.values_list("name", "shared")),
        # Only its creator (the owner) changes it.
        expect=console(Expect(302, "/console/acme/views/"), handler=FORBIDDEN, viewer=FORBIDDEN),
    ),
    Row(
        "saved_view_delete",
        "reports:saved_view_delete",
        method="post",
        path=lambda w: _rv("reports:saved_view_delete", "acme", w.saved_view.pk),
        marker=lambda w: VIEW_NAME,
        mutates=lambda w: SavedView.objects.count(),
        # Its creator, or an owner of the app for a shared view.
        expect=managing(Expect(302, "/console/acme/views/")),
    ),
    Row(
        "reports_bulk",
        "reports:reports_bulk",
        method="post",
        path=lambda w: _rv("reports:reports_bulk", "acme"),
        data=lambda w: {"action": "resolve", "selected": w.pending.report_id, "note": "Bulk."},
        mutates=_report_state,
        expect=handling(Expect(302, "/console/acme/reports/")),
    ),
    Row(
        "reports_export_csv",
        "reports:reports_export",
        path=lambda w: _rv("reports:reports_export", "acme"),
        expect=console(OK),
    ),
    Row(
        "reports_new_count",
        "reports:reports_new_count",
        path=lambda w: _rv("reports:reports_new_count", "acme") + "?since=",
        marker=lambda w: '"count": ',
        expect=console(OK),
    ),
    Row(
        "reports_new_count_other_apps_anchor",
        "reports:reports_new_count",
        # Another app's report as the anchor counts nothing of acme's (and says nothing of it).
        path=lambda w: (
            _rv("reports:reports_new_count", "acme") + f"?since={w.globex_report.report_id}"
        ),
        marker=lambda w: '"count": 0,',
        expect=console(OK),
    ),
    Row(
        "console_screenshot",
        "reports:screenshot",
        path=lambda w: _rv("reports:screenshot", "acme", w.pending.report_id, w.shot.pk),
        expect=console(IMAGE),
    ),
    Row(
        "console_thumbnail",
        "reports:screenshot_thumbnail",
        path=lambda w: _rv("reports:screenshot_thumbnail", "acme", w.pending.report_id, w.shot.pk),
        expect=console(IMAGE),
    ),
    Row(
        "console_added_screenshot",
        "reports:added_screenshot",
        path=lambda w: _rv(
            "reports:added_screenshot", "acme", w.pending.report_id, w.added_shot.pk
        ),
        expect=console(IMAGE),
    ),
    Row(
        "saved_replies",
        "reports:saved_replies",
        path=lambda w: _rv("reports:saved_replies", "acme"),
        marker=lambda w: SAVED_TITLE,
        expect=console(OK),
    ),
    # Insights: every member reads them, viewers too (they change nothing).
    Row(
        "insights",
        "reports:insights",
        path=lambda w: _rv("reports:insights", "acme"),
        marker=lambda w: "Acme Shop",
        expect=console(OK),
    ),
    Row(
        "insights_csv",
        "reports:insights",
        path=lambda w: _rv("reports:insights", "acme") + "?csv=sources",
        marker=lambda w: "Help center,3",  # acme's three reports (globex has one)
        expect=console(OK),
    ),
    Row(
        "saved_reply_add",
        "reports:saved_replies",
        method="post",
        path=lambda w: _rv("reports:saved_replies", "acme"),
        data=lambda w: {"title": "Member's saved reply", "body": "Hello {report_id}"},
        mutates=lambda w: SavedReply.objects.count(),
        expect=handling(Expect(302, "/console/acme/saved-replies/")),
    ),
    Row(
        "saved_reply_edit",
        "reports:saved_reply_edit",
        path=lambda w: _rv("reports:saved_reply_edit", "acme", w.saved_reply.pk),
        marker=lambda w: SAVED_TITLE,
        expect=console(OK),
    ),
    Row(
        "saved_reply_delete",
        "reports:saved_reply_delete",
        method="post",
        path=lambda w: _rv("reports:saved_reply_delete", "acme", w.saved_reply.pk),
        mutates=lambda w: SavedReply.objects.count(),
        expect=handling(Expect(302, "/console/acme/saved-replies/")),
    ),
    Row(
        "timezone_picker",
        "reports:timezone",
        path=lambda w: _rv("reports:timezone"),
        marker=lambda w: 'name="timezone"',
        # Not per app: any signed-in developer picks their own zone; no tenant data on it.
        expect=cells(LOGIN, **dict.fromkeys(SIGNED_IN, OK)),
    ),
    Row(
        "notification_preferences",
        "reports:notification_preferences",
        path=lambda w: _rv("reports:notification_preferences", "acme"),
        marker=lambda w: "Acme Shop",
        expect=console(OK),
    ),
    Row(
        "notification_preferences_save",
        "reports:notification_preferences",
        method="post",
        path=lambda w: _rv("reports:notification_preferences", "acme"),
        # Both boxes unticked, the summary at 07:00 in Tokyo.
        data=lambda w: {"daily_summary_hour": "7", "timezone_name": "Asia/Tokyo"},
        # The member's own choices, not the app's state: every role may change their own.
        mutates=_notification_state,
        expect=console(Expect(302, "/console/acme/notifications/")),
    ),
    # --- The team (reports/team/): everyone reads it, owners change it
    Row(
        "team",
        "reports:team",
        path=lambda w: _rv("reports:team", "acme"),
        marker=lambda w: "teammate@acme.example",
        expect=console(OK),
    ),
    Row(
        "team_invite",
        "reports:team_invite",
        method="post",
        path=lambda w: _rv("reports:team_invite", "acme"),
        data=lambda w: {"email": "second.invitee@example.org", "role": "handler"},
        marker=lambda w: "second.invitee@example.org",
        mutates=_invitation_state,
        expect=managing(Expect(302, "/console/acme/team/")),
    ),
    _team_action("reports:invitation_resend", lambda w: w.invitation.pk, None, _invitation_state),
    _team_action("reports:invitation_revoke", lambda w: w.invitation.pk, None, _invitation_state),
    _team_action(
        "reports:member_role",
        lambda w: w.app.memberships.get(user__email="teammate@acme.example").pk,
        lambda w: {"role": "viewer"},
        _team_state,
    ),
    _team_action(
        "reports:member_remove",
        lambda w: w.app.memberships.get(user__email="viewer@acme.example").pk,
        None,
        _team_state,
    ),
    # The invitation link: whoever holds it sees the invitation; only the invited address
    # joins (a wrong signed-in account is told so, and its POST refused).
    Row(
        "invitation_page",
        "invitation_accept",
        path=lambda w: _rv("invitation_accept", INVITATION_TOKEN),
        marker=lambda w: "Join Acme Shop",
        expect=cells(OK),
    ),
    Row(
        "invitation_accept_new_account",
        "invitation_accept",
        method="post",
        path=lambda w: _rv("invitation_accept", INVITATION_TOKEN),
        data=lambda w: {
            "name": "Invited Person",
            "password1": "a long new passphrase 42",
            "password2": "a long new passphrase 42",
        },
        mutates=_team_state,
        expect=cells(Expect(302, "/console/acme/reports/"), **dict.fromkeys(SIGNED_IN, FORBIDDEN)),
    ),
    Row(
        "invitation_bad_token",
        "invitation_accept",
        path=lambda w: _rv("invitation_accept", "not-a-token"),
        marker=lambda w: "invitee@example.org",
        expect=cells(NOT_FOUND),
    ),
    # --- App settings (owners) and Integration (members): reports/app_settings/
    # Settings are the owners' (handlers and viewers: 403); every member reads Integration.
    Row(
        "app_settings",
        "reports:app_settings",
        path=lambda w: _rv("reports:app_settings", "acme"),
        marker=lambda w: "help@acme.example",
        expect=managing(OK),
    ),
    Row(
        "app_name",
        "reports:app_name",
        method="post",
        path=lambda w: _rv("reports:app_name", "acme"),
        data=lambda w: {"name": "Acme Store"},
        mutates=lambda w: MiniApp.objects.get(pk=w.app.pk).name,
        expect=managing(Expect(302, "/console/acme/settings/")),
    ),
    Row(
        "support_email",
        "reports:support_email",
        method="post",
        path=lambda w: _rv("reports:support_email", "acme"),
        data=lambda w: {"support_email": "care@acme.example"},
        mutates=lambda w: MiniApp.objects.get(pk=w.app.pk).support_email,
        expect=managing(Expect(302, "/console/acme/settings/")),
    ),
    Row(
        "support_email_resend",
        "reports:support_email_resend",
        method="post",
        path=lambda w: _rv("reports:support_email_resend", "acme"),
        expect=managing(Expect(302, "/console/acme/settings/")),
    ),
    Row(
        "support_email_verify_unknown_token",
        "reports:support_email_verify",
        path=lambda w: _rv("reports:support_email_verify", "not-a-token-0123456789"),
        # Public (whoever reads the mailbox confirms it); an unknown token is a 404 for all.
        expect=cells(NOT_FOUND),
    ),
    Row(
        "help_intro",
        "reports:help_intro",
        method="post",
        path=lambda w: _rv("reports:help_intro", "acme", "en"),
        data=lambda w: {"intro-en-text": "Welcome."},
        mutates=lambda w: HelpIntro.objects.filter(mini_app=w.app).count(),
        expect=managing(Expect(302, "/console/acme/settings/")),
    ),
    Row(
        "faq_add",
        "reports:faq_add",
        method="post",
        path=lambda w: _rv("reports:faq_add", "acme"),
        data=lambda w: {"language": "en", "question": "Q?", "answer": "A.", "position": 1},
        mutates=lambda w: FaqEntry.objects.filter(mini_app=w.app).count(),
        expect=managing(Expect(302, "/console/acme/settings/")),
    ),
    Row(
        "faq_edit",
        "reports:faq_edit",
        path=lambda w: _rv("reports:faq_edit", "acme", w.faq.pk),
        marker=lambda w: w.faq.question,
        expect=managing(OK),
    ),
    Row(
        "faq_edit_other_apps_entry",
        "reports:faq_edit",
        path=lambda w: _rv("reports:faq_edit", "acme", w.globex_faq.pk),
        marker=lambda w: w.globex_faq.question,
        expect=managing(NOT_FOUND),
    ),
    Row(
        "faq_delete",
        "reports:faq_delete",
        method="post",
        path=lambda w: _rv("reports:faq_delete", "acme", w.faq.pk),
        mutates=lambda w: FaqEntry.objects.filter(mini_app=w.app).count(),
        expect=managing(Expect(302, "/console/acme/settings/")),
    ),
    Row(
        "secret_reveal",
        "reports:secret_reveal",
        method="post",
        path=lambda w: _rv("reports:secret_reveal", "acme"),
        marker=lambda w: 'value="s3cret"',
        expect=managing(OK),
    ),
    Row(
        "secret_rotate",
        "reports:secret_rotate",
        method="post",
        path=lambda w: _rv("reports:secret_rotate", "acme"),
        mutates=lambda w: MiniApp.objects.get(pk=w.app.pk).signing_secret,
        expect=managing(Expect(302, "/console/acme/settings/")),
    ),
    Row(
        "integration",
        "reports:integration",
        path=lambda w: _rv("reports:integration", "acme"),
        marker=lambda w: "/api/v1/apps/acme/reports",
        expect=console(OK),
    ),
    Row(
        "integration_signed_link",
        "reports:integration",
        path=lambda w: _rv("reports:integration", "acme") + "?open_id=oid-7",
        marker=lambda w: "/help/acme/?open_id=oid-7&amp;ts=",
        # A signed link vouches for a user: a viewer has no generator, and asking is refused.
        expect=console(OK, viewer=FORBIDDEN),
    ),
    Row(
        "test_report",
        "reports:test_report",
        method="post",
        path=lambda w: _rv("reports:test_report", "acme"),
        mutates=_report_state,
        expect=handling(Expect(302, "/console/acme/reports/")),
    ),
    # --- API keys: members read the list, owners create and revoke
    Row(
        "api_keys_page",
        "reports:api_keys",
        path=lambda w: _rv("reports:api_keys", "acme"),
        marker=lambda w: w.api_key.prefix,
        expect=console(OK),
    ),
    Row(
        "api_key_create",
        "reports:api_keys",
        method="post",
        path=lambda w: _rv("reports:api_keys", "acme"),
        data=lambda w: {"name": "Matrix tool", "scope": "read"},
        marker=lambda w: "Copy your new key now",
        mutates=lambda w: ApiKey.objects.count(),
        expect=managing(Expect(201, "marker")),
    ),
    Row(
        "api_key_revoke",
        "reports:api_key_revoke",
        method="post",
        path=lambda w: _rv("reports:api_key_revoke", "acme", w.api_key.pk),
        mutates=lambda w: ApiKey.objects.filter(revoked_at__isnull=True).count(),
        expect=managing(Expect(302, "/console/acme/integration/keys/")),
    ),
    # --- Webhooks: members read the endpoints and their delivery logs, owners change them
    Row(
        "webhooks_page",
        "reports:webhooks",
        path=lambda w: _rv("reports:webhooks", "acme"),
        marker=lambda w: WEBHOOK_URL,
        expect=console(OK),
    ),
    Row(
        "webhook_create",
        "reports:webhooks",
        method="post",
        path=lambda w: _rv("reports:webhooks", "acme"),
        data=lambda w: {"url": "https://93.184.216.34/matrix", "event_types": ["report.created"]},
        marker=lambda w: "Copy the endpoint",
        mutates=lambda w: WebhookEndpoint.objects.count(),
        expect=managing(Expect(201, "marker")),
    ),
    Row(
        "webhook_detail",
        "reports:webhook_detail",
        path=lambda w: _rv("reports:webhook_detail", "acme", w.endpoint.pk),
        marker=lambda w: w.delivery.webhook_id,
        expect=console(OK),
    ),
    Row(
        "webhook_edit",
        "reports:webhook_detail",
        method="post",
        path=lambda w: _rv("reports:webhook_detail", "acme", w.endpoint.pk),
        data=lambda w: {
            "url": "https://93.184.216.34/edited",
            "event_types": ["report.created"],
            "enabled": "on",
        },
        mutates=lambda w: WebhookEndpoint.objects.get(pk=w.endpoint.pk).url,
        expect=managing(Expect(302, "/console/acme/integration/webhooks/")),
    ),
    Row(
        "webhook_secret",
        "reports:webhook_secret",
        method="post",
        path=lambda w: _rv("reports:webhook_secret", "acme", w.endpoint.pk),
        marker=lambda w: w.endpoint.secret,
        mutates=lambda w: AppEvent.objects.count(),
        expect=managing(OK),
    ),
    Row(
        "webhook_test",
        "reports:webhook_test",
        method="post",
        path=lambda w: _rv("reports:webhook_test", "acme", w.endpoint.pk),
        mutates=lambda w: WebhookDelivery.objects.count(),
        expect=managing(Expect(302, "/console/acme/integration/webhooks/")),
    ),
    Row(
        "webhook_resend",
        "reports:webhook_resend",
        method="post",
        path=lambda w: _rv("reports:webhook_resend", "acme", w.endpoint.pk, w.delivery.pk),
        mutates=lambda w: WebhookDelivery.objects.get(pk=w.delivery.pk).status,
        expect=managing(Expect(302, "/console/acme/integration/webhooks/")),
    ),
    Row(
        "webhook_delete",
        "reports:webhook_delete",
        method="post",
        path=lambda w: _rv("reports:webhook_delete", "acme", w.endpoint.pk),
        mutates=lambda w: WebhookEndpoint.objects.count(),
        expect=managing(Expect(302, "/console/acme/integration/webhooks/")),
    ),
    # --- Appeals, developer side
    Row(
        "appeals_queue",
        "appeals:appeal_list",
        path=lambda w: _rv("appeals:appeal_list", "acme"),
        marker=lambda w: w.handled.report_id,
        expect=console(OK),
    ),
    Row(
        "appeal_panel",
        "appeals:appeal_detail",
        path=lambda w: _rv("appeals:appeal_detail", "acme", w.appeal.pk),
        marker=lambda w: REASON,
        expect=console(OK),
    ),
    Row(
        "appeal_decision",
        "appeals:appeal_detail",
        method="post",
        path=lambda w: _rv("appeals:appeal_detail", "acme", w.appeal.pk),
        data=lambda w: {"decision": "uphold", "reply": "The refund was sent on the 3rd."},
        marker=lambda w: REASON,
        mutates=_appeal_state,
        expect=handling(Expect(302, "/console/acme/appeals/")),
    ),
    Row(
        "appeal_screenshot",
        "appeals:appeal_screenshot",
        path=lambda w: _rv(
            "appeals:appeal_screenshot", "acme", w.appeal.pk, w.appeal.screenshots.get().position
        ),
        expect=console(IMAGE),
    ),
    # --- Help center (public) and the reporter's keyed pages
    Row(
        "help_home",
        "tickets:help_home",
        path=lambda w: _rv("tickets:help_home", "acme"),
        marker=lambda w: "Acme Shop",
        expect=cells(OK),
    ),
    Row(
        "report_form",
        "tickets:report_new",
        path=lambda w: _rv("tickets:report_new", "acme", Category.EXPERIENCE),
        marker=lambda w: "Acme Shop",
        expect=cells(OK),
    ),
    Row(
        "report_form_submit",
        "tickets:report_new",
        method="post",
        path=lambda w: _rv("tickets:report_new", "acme", Category.EXPERIENCE),
        data=lambda w: {
            "submission_key": "matrix-submission-key-0001",
            "issue_type": "experience.crash",
            "details": "Filed from the help center.",
        },
        # Anyone may file: straight on to the new report's keyed status page.
        expect=cells(Expect(302, "/help/acme/tickets/")),
    ),
    Row(
        "check_a_report",
        "tickets:report_check",
        method="post",
        path=lambda w: _rv("tickets:report_check", "acme"),
        data=lambda w: {"report_id": w.pending.report_id, "email": "reporter@example.net"},
        # The same answer for everyone, whether or not the report exists: a link goes by e-mail.
        expect=cells(Expect(302, "/help/acme/")),
    ),
    Row(
        "status_page",
        "tickets:report_status",
        key_of=lambda w: w.pending,
        path=lambda w: _rv("tickets:report_status", "acme", w.pending.report_id),
        marker=lambda w: w.pending.report_id,
        expect=keyed(OK),
    ),
    Row(
        "reporter_screenshot",
        "tickets:report_screenshot",
        key_of=lambda w: w.pending,
        path=lambda w: _rv("tickets:report_screenshot", "acme", w.pending.report_id, 1),
        expect=keyed(IMAGE),
    ),
    Row(
        "reporter_thumbnail",
        "tickets:report_screenshot_thumbnail",
        key_of=lambda w: w.pending,
        path=lambda w: _rv("tickets:report_screenshot_thumbnail", "acme", w.pending.report_id, 1),
        expect=keyed(IMAGE),
    ),
    Row(
        "add_information",
        "tickets:report_add_information",
        method="post",
        key_of=lambda w: w.pending,
        path=lambda w: _rv("tickets:report_add_information", "acme", w.pending.report_id),
        data=lambda w: {"text": "The reporter adds this."},
        marker=lambda w: w.pending.report_id,
        mutates=lambda w: w.pending.events.filter(kind="information_added").count(),
        expect=keyed(Expect(302, "/help/acme/tickets/")),
    ),
    Row(
        "appeal_form",
        "appeals:appeal_new",
        key_of=lambda w: w.handled,
        path=lambda w: _rv("appeals:appeal_new", "acme", w.handled.report_id),
        marker=lambda w: w.handled.report_id,
        expect=keyed(OK),
    ),
    Row(
        "appeal_submit",
        "appeals:appeal_new",
        method="post",
        key_of=lambda w: w.dismissed,
        path=lambda w: _rv("appeals:appeal_new", "acme", w.dismissed.report_id),
        data=lambda w: {"contact_email": "payer@example.net", "reason": REASON},
        marker=lambda w: w.dismissed.report_id,
        mutates=lambda w: Appeal.objects.filter(report=w.dismissed).count(),
        expect=keyed(Expect(302, "/help/acme/tickets/")),
    ),
    # --- The API: the signature is the only credential; sessions and keys count for nothing
    Row(
        "api_submit_signed",
        "tickets:api_reports",
        method="post",
        api="signed",
        path=lambda w: "/api/v1/apps/acme/reports",
        body=lambda w: {"category": "experience", "issue_type": "crash", "details": "Via API."},
        marker=lambda w: "report_id",
        expect=cells(Expect(201, "marker")),
    ),
    Row(
        "api_submit_unsigned",
        "tickets:api_reports",
        method="post",
        api="unsigned",
        path=lambda w: "/api/v1/apps/acme/reports",
        body=lambda w: {"category": "experience", "issue_type": "crash", "details": "Via API."},
        mutates=_report_state,
        expect=cells(UNSIGNED),
    ),
    Row(
        "api_status_signed",
        "tickets:api_report_detail",
        api="signed",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}",
        marker=lambda w: w.pending.report_id,
        expect=cells(OK),
    ),
    Row(
        "api_status_unsigned",
        "tickets:api_report_detail",
        api="unsigned",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}",
        marker=lambda w: w.pending.report_id,
        expect=cells(UNSIGNED),
    ),
    Row(
        "api_status_other_apps_report",
        "tickets:api_report_detail",
        api="signed",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.globex_report.report_id}",
        marker=lambda w: "Globex tenant data",
        expect=cells(NOT_FOUND),
    ),
    Row(
        "api_openapi",
        "tickets:api_openapi",
        path=lambda w: "/api/v1/openapi.json",
        marker=lambda w: '"openapi"',
        expect=cells(OK),
    ),
    Row(
        "api_other_path",
        "tickets:api_not_found",
        api="signed",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}/extra",
        marker=lambda w: w.pending.report_id,
        expect=cells(NOT_FOUND),
    ),
    # --- The handling API: the API key is the only credential; sessions count for nothing
    Row(
        "api_list_with_key",
        "tickets:api_reports",
        api="bearer",
        path=lambda w: "/api/v1/apps/acme/reports",
        marker=lambda w: w.pending.report_id,
        expect=cells(OK),
    ),
    Row(
        "api_list_without_key",
        "tickets:api_reports",
        api="unsigned",
        path=lambda w: "/api/v1/apps/acme/reports",
        marker=lambda w: w.pending.report_id,
        expect=cells(UNSIGNED),
    ),
    Row(
        "api_list_other_apps_with_my_key",
        "tickets:api_reports",
        api="bearer",
        path=lambda w: "/api/v1/apps/globex/reports",
        marker=lambda w: "Globex tenant data",
        expect=cells(NOT_FOUND),
    ),
    Row(
        "api_read_with_key",
        "tickets:api_report_detail",
        api="bearer",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.handled.report_id}",
        marker=lambda w: "Refund sent.",  # the notes: only with a key
        expect=cells(OK),
    ),
    Row(
        "api_notes_with_key",
        "tickets:api_report_detail",
        method="patch",
        api="bearer",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}",
        body=lambda w: {"notes": "From the CRM."},
        marker=lambda w: "From the CRM.",
        mutates=_report_state,
        expect=cells(OK),
    ),
    Row(
        "api_notes_without_key",
        "tickets:api_report_detail",
        method="patch",
        api="unsigned",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}",
        body=lambda w: {"notes": "From the CRM."},
        mutates=_report_state,
        expect=cells(UNSIGNED),
    ),
    Row(
        "api_resolve_with_key",
        "tickets:api_report_resolve",
        method="post",
        api="bearer",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}/resolve",
        body=lambda w: {"version": w.pending.version},
        marker=lambda w: '"resolved"',
        mutates=_report_state,
        expect=cells(OK),
    ),
    Row(
        "api_resolve_other_apps_report",
        "tickets:api_report_resolve",
        method="post",
        api="bearer",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.globex_report.report_id}/resolve",
        body=lambda w: {},
        marker=lambda w: "Globex tenant data",
        mutates=lambda w: Report.objects.get(pk=w.globex_report.pk).version,
        expect=cells(NOT_FOUND),
    ),
    Row(
        "api_dismiss_without_key",
        "tickets:api_report_dismiss",
        method="post",
        api="unsigned",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}/dismiss",
        body=lambda w: {},
        mutates=_report_state,
        expect=cells(UNSIGNED),
    ),
    Row(
        "api_dismiss_with_key",
        "tickets:api_report_dismiss",
        method="post",
        api="bearer",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}/dismiss",
        body=lambda w: {"reason": "spam"},
        marker=lambda w: '"dismissed"',
        mutates=_report_state,
        expect=cells(OK),
    ),
    Row(
        "api_reply_with_key",
        "tickets:api_report_replies",
        method="post",
        api="bearer",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}/replies",
        body=lambda w: {"message": "Matrix reply marker 3VW"},
        marker=lambda w: "Matrix reply marker 3VW",
        mutates=_report_state,
        expect=cells(Expect(201, "marker")),
    ),
    Row(
        "api_reply_without_key",
        "tickets:api_report_replies",
        method="post",
        api="unsigned",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.pending.report_id}/replies",
        body=lambda w: {"message": "Matrix reply marker 3VW"},
        marker=lambda w: "Matrix reply marker 3VW",
        mutates=_report_state,
        expect=cells(UNSIGNED),
    ),
    Row(
        "api_reply_other_apps_report",
        "tickets:api_report_replies",
        method="post",
        api="bearer",
        path=lambda w: f"/api/v1/apps/acme/reports/{w.globex_report.report_id}/replies",
        body=lambda w: {"message": "Matrix reply marker 3VW"},
        marker=lambda w: "Globex tenant data",
        mutates=lambda w: Report.objects.get(pk=w.globex_report.pk).version,
        expect=cells(NOT_FOUND),
    ),
    Row(
        "api_reply_on_other_app_with_my_key",
        "tickets:api_report_replies",
        method="post",
        api="bearer",
        path=lambda w: f"/api/v1/apps/globex/reports/{w.globex_report.report_id}/replies",
        body=lambda w: {"message": "Matrix reply marker 3VW"},
        marker=lambda w: "Globex tenant data",
        mutates=lambda w: Report.objects.get(pk=w.globex_report.pk).version,
        expect=cells(NOT_FOUND),
    ),
    Row(
        "api_screenshot_link",
        "tickets:api_report_screenshot",
        path=lambda w: _screenshot_link(w),
        expect=cells(IMAGE),  # the short-lived link is the credential, for everyone
    ),
    Row(
        "api_screenshot_link_forged",
        "tickets:api_report_screenshot",
        path=lambda w: _screenshot_link(w).replace("token=", "token=forged"),
        expect=cells(NOT_FOUND),
    ),
    # --- Health probes: the same for everyone, nothing private (reports/health.py)
    Row(
        "healthz",
        "healthz",
        path=lambda w: _rv("healthz"),
        marker=lambda w: '"status": "ok"',
        expect=cells(OK),
    ),
    Row(
        "readyz",
        "readyz",
        path=lambda w: _rv("readyz"),
        marker=lambda w: '"storage": {"ok": true',
        expect=cells(OK),
    ),
    # --- Sign-in, language, admin
    Row(
        "login_page",
        "login",
        path=lambda w: _rv("login"),
        marker=lambda w: 'for="id_username"',
        # redirect_authenticated_user: someone signed in goes straight to the console.
        expect=cells(OK, **dict.fromkeys(SIGNED_IN, Expect(302, "/console/"))),
    ),
    Row(
        "logout",
        "logout",
        method="post",
        path=lambda w: _rv("logout"),
        expect=cells(Expect(302, "/accounts/login/")),
    ),
    # --- Passwords (Django's views): reset for anyone, change for the signed-in
    Row(
        "password_reset_page",
        "password_reset",
        path=lambda w: _rv("password_reset"),
        marker=lambda w: 'for="id_email"',
        expect=cells(OK),
    ),
    Row(
        "password_reset_request",
        "password_reset",
        method="post",
        path=lambda w: _rv("password_reset"),
        data=lambda w: {"email": "owner@acme.example"},
        # The same answer for every address, known or not (no account enumeration).
        expect=cells(Expect(302, "/accounts/password_reset/done/")),
    ),
    Row(
        "password_reset_done",
        "password_reset_done",
        path=lambda w: _rv("password_reset_done"),
        marker=lambda w: "Check your e-mail",
        expect=cells(OK),
    ),
    Row(
        "password_reset_confirm_bad_link",
        "password_reset_confirm",
        path=lambda w: _rv("password_reset_confirm", "MQ", "bad-token"),
        marker=lambda w: "This reset link does not work",
        expect=cells(OK),
    ),
    Row(
        "password_reset_complete",
        "password_reset_complete",
        path=lambda w: _rv("password_reset_complete"),
        marker=lambda w: "Sign in with your new password",
        expect=cells(OK),
    ),
    Row(
        "password_change_page",
        "password_change",
        path=lambda w: _rv("password_change"),
        marker=lambda w: 'for="id_old_password"',
        expect=cells(LOGIN, **dict.fromkeys(SIGNED_IN, OK)),
    ),
    Row(
        "password_change_wrong_old_password",
        "password_change",
        method="post",
        path=lambda w: _rv("password_change"),
        data=lambda w: {
            "old_password": "not the password",
            "new_password1": "a brand new passphrase 77",
            "new_password2": "a brand new passphrase 77",
        },
        marker=lambda w: "Your old password was entered incorrectly",
        expect=cells(LOGIN, **dict.fromkeys(SIGNED_IN, OK)),
    ),
    Row(
        "password_change_done",
        "password_change_done",
        path=lambda w: _rv("password_change_done"),
        marker=lambda w: "Your password is changed",
        expect=cells(LOGIN, **dict.fromkeys(SIGNED_IN, OK)),
    ),
    Row(
        "set_language",
        "tickets:set_language",
        method="post",
        path=lambda w: _rv("tickets:set_language"),
        data=lambda w: {"language": "es", "next": "/help/acme/"},
        expect=cells(Expect(302, "/help/acme/")),
    ),
    Row(
        "admin_index",
        "admin:index",
        path=lambda w: _rv("admin:index"),
        marker=lambda w: "Site administration",
        expect=cells(ADMIN_LOGIN, staff=OK),
    ),
    Row(
        "admin_login",
        "admin:login",
        path=lambda w: _rv("admin:login"),
        marker=lambda w: 'for="id_username"',
        expect=cells(OK, staff=Expect(302, "/admin/")),
    ),
    Row(
        "admin_report_changelist",
        "admin:reports_report_changelist",
        path=lambda w: _rv("admin:reports_report_changelist"),
        marker=lambda w: w.pending.report_id,
        expect=cells(ADMIN_LOGIN, staff=OK),
    ),
]


def _screenshot_link(w) -> str:
    """The link a keyed read of the report gives (short-lived; the token is the credential)."""
    from django.core import signing

    from tickets.handling_api import SCREENSHOT_SALT

    token = signing.dumps({"s": w.shot.pk, "t": 0}, salt=SCREENSHOT_SALT)
    path = _rv("tickets:api_report_screenshot", "acme", w.pending.report_id, w.shot.pk)
    return f"{path}?token={token}"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # 260 cells each sign five users in: the real hasher would make this file take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(
    make_report, make_user, mini_app, other_app, owner, teammate, viewer, outsider, screenshot
):
    from appeals.services import appeal_submit

    pending = make_report(
        details=DETAILS, screenshots=[screenshot], contact_email="reporter@example.net"
    )
    handled = make_report(Category.PAYMENT, details=DETAILS, contact_email="payer@example.net")
    handled = report_resolve(report=handled, actor=owner, notes="Refund sent.")
    from reports.screenshots import image_process
    from tests.factories import png_bytes, upload

    appeal = appeal_submit(
        report=handled,
        contact_email="payer@example.net",
        reason=REASON,
        screenshots=[image_process(upload(png_bytes()))],
    )
    dismissed = make_report(Category.PAYMENT, details=DETAILS, contact_email="payer@example.net")
    dismissed = report_dismiss(
        report=dismissed, actor=owner, dismissal=Dismissal("not_reproducible"), notes="Not ours."
    )
    globex_report = make_report(app=other_app, details="Globex tenant data")
    inactive = make_user("gone@acme.example", is_active=False)
    Membership.objects.create(mini_app=mini_app, user=inactive)
    invitation = Invitation.objects.create(
        mini_app=mini_app,
        email="invitee@example.org",
        role="handler",
        token_hash=token_hash(INVITATION_TOKEN),
        invited_by=owner,
        expires_at=Invitation.VALID_FOR + Invitation._meta.get_field("sent_at").default(),
    )
    staff = get_user_model().objects.create_superuser(
        username="root@reportdesk.example", email="root@reportdesk.example", password="x" * 20
    )
    users = {
        "owner": owner,
        "handler": teammate,
        "viewer": viewer,
        "outsider": outsider,
        "inactive": inactive,
        "staff": staff,
    }
    faq = FaqEntry.objects.create(
        mini_app=mini_app, language="en", question="Acme FAQ marker 4RT?", answer="Yes."
    )
    globex_faq = FaqEntry.objects.create(
        mini_app=other_app, language="en", question="Globex FAQ marker?", answer="No."
    )
    api_key, key = api_key_create(mini_app=mini_app, actor=owner, name="Matrix", scope="handle")
    endpoint = WebhookEndpoint.objects.create(
        mini_app=mini_app, url=WEBHOOK_URL, event_types=["report.created"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="report.created", payload="{}", status="failed", attempts=8
    )
    return SimpleNamespace(
        endpoint=endpoint,
        delivery=delivery,
        api_key=api_key,
        key=key,
        app=mini_app,
        pending=pending,
        handled=Report.objects.get(pk=handled.pk),
        appeal=appeal,
        invitation=invitation,
        dismissed=Report.objects.get(pk=dismissed.pk),
        shot=pending.screenshots.get(),
        added_shot=report_information_add(
            report=pending, text="Added.", screenshots=[image_process(upload(png_bytes()))]
        ).screenshots.get(),
        globex_report=globex_report,
        faq=faq,
        globex_faq=globex_faq,
        saved_reply=SavedReply.objects.create(mini_app=mini_app, title=SAVED_TITLE, body="Hi"),
        saved_view=SavedView.objects.create(
            mini_app=mini_app, owner=owner, name=VIEW_NAME, query="status=pending", shared=True
        ),
        users=users,
    )


def _request(client, row: Row, w, visitor: str):
    path = row.path(w)
    if row.key_of and visitor in KEYED:
        key = row.key_of(w).access_key if visitor == "key_ok" else WRONG_KEY
        path += f"?key={key}"
    if row.api:
        body = json.dumps(row.body(w)).encode() if row.body else b""
        headers = signed_headers(w.app.signing_secret, body) if row.api == "signed" else {}
        if row.api == "bearer":
            headers = {"HTTP_AUTHORIZATION": f"Bearer {w.key}"}
        if row.method in ("post", "patch"):
            send = getattr(client, row.method)
            return send(path, body, content_type="application/json", **headers)
        return client.get(path, **headers)
    if row.method == "post":
        return client.post(path, row.data(w) if row.data else {})
    return client.get(path)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_access(client, world, row: Row, visitor: str):
    if visitor in world.users:
        client.force_login(world.users[visitor])
    expected = row.expect[visitor]
    before = row.mutates(world) if row.mutates else None

    response = _request(client, row, world, visitor)

    body = _body(response)
    assert response.status_code == expected.status, body[:300]
    marker = row.marker(world).encode()
    if expected.show == "marker":
        assert marker in body
    elif expected.show == "image":
        assert response["Content-Type"].startswith("image/") and body
    elif expected.show == "login":
        assert response["Location"].startswith("/accounts/login/?next=")
    elif expected.show == "admin_login":
        assert response["Location"].startswith("/admin/login/?next=")
    elif expected.show:
        assert response["Location"].startswith(expected.show)
    if expected.status >= 400 or expected.show in ("login", "admin_login"):
        assert marker not in body and DETAILS.encode() not in body
        if before is not None:
            assert row.mutates(world) == before, "a refused request changed data"
    elif before is not None:
        assert row.mutates(world) != before, "an allowed request did nothing"


# --- Completeness: a URL without a row fails here

# The admin's per-model pages are generated by ModelAdmin; one changelist row stands for them.
ADMIN_KEPT = {"admin:index", "admin:login"}


def _pattern_names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= _pattern_names(entry, namespace)
        elif isinstance(entry, URLPattern):
            names.add(f"{prefix}{entry.name}" if entry.name else f"{prefix}{entry.pattern}")
    return names


def test_every_url_pattern_has_a_row():
    served = {
        name
        for name in _pattern_names(get_resolver())
        if not name.startswith("admin:") or name in ADMIN_KEPT
    }
    covered = {row.name for row in ROWS}
    assert served - covered == set(), "add a row to ROWS for each new URL"
    assert covered - _pattern_names(get_resolver()) == set(), "stale rows"


def test_every_row_states_every_visitor():
    for row in ROWS:
        assert set(row.expect) == set(VISITORS), row.id


def test_the_walk_sees_nested_and_namespaced_patterns():
    # Guards the guard: a walker that found nothing would pass the test above vacuously.
    names = _pattern_names(get_resolver())
    assert {"reports:report_list", "appeals:appeal_new", "tickets:api_reports"} <= names
    assert {"admin:index", "admin:reports_report_changelist", "login"} <= names
