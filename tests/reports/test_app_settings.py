"""The Settings page (owners): name, support e-mail verification, help-center content, secret."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports.app_settings import services
from reports.models import AppEvent, FaqEntry, HelpIntro, MiniApp, OutboundEmail
from reports.outbox import email_deliver
from reports.roles import RoleRequired

pytestmark = pytest.mark.django_db

Kind = AppEvent.Kind


def settings_url(name: str, *args) -> str:
    return reverse(f"reports:{name}", args=["acme", *args])


def kinds(mini_app) -> list[str]:
    return list(AppEvent.objects.filter(mini_app=mini_app).values_list("kind", flat=True))


def verification_link() -> str:
    """Deliver the queued verification e-mail and read the link out of it, as a person would."""
    email = OutboundEmail.objects.filter(subject__startswith="Confirm the support e-mail").latest(
        "pk"
    )
    email_deliver(email_id=email.pk)
    body = mail.outbox[-1].body
    return re.search(r"http://\S+/console/support-email/\S+/", body).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


# --- Who may open and change the settings


def test_an_owner_sees_the_settings_page(client, owner, mini_app):
    client.force_login(owner)
    page = client.get(settings_url("app_settings")).content.decode()
    assert "Acme Shop" in page and "help@acme.example" in page
    assert "Rotate the signing secret" in page
    assert mini_app.signing_secret not in page  # masked until revealed
    assert mini_app.signing_secret_masked in page


@pytest.mark.parametrize("member", ["teammate", "viewer"])
def test_handlers_and_viewers_are_refused_with_403(client, request, member, mini_app):
    client.force_login(request.getfixturevalue(member))
    assert client.get(settings_url("app_settings")).status_code == 403
    response = client.post(settings_url("app_name"), {"name": "Hijacked"})
    assert response.status_code == 403
    response = client.post(settings_url("secret_rotate"))
    assert response.status_code == 403
    response = client.post(settings_url("secret_reveal"))
    assert response.status_code == 403 and b"s3cret" not in response.content
    mini_app.refresh_from_db()
    assert (mini_app.name, mini_app.signing_secret) == ("Acme Shop", "s3cret")
    assert kinds(mini_app) == []


def test_an_outsider_gets_a_404(client, outsider, mini_app):
    client.force_login(outsider)
    assert client.get(settings_url("app_settings")).status_code == 404
    assert client.post(settings_url("secret_rotate")).status_code == 404


def test_the_services_refuse_a_handler_whatever_the_entry_point(teammate, mini_app):
    with pytest.raises(RoleRequired):
        services.signing_secret_rotate(mini_app=mini_app, actor=teammate)
    with pytest.raises(RoleRequired):
        services.faq_entry_add(
            mini_app=mini_app, actor=teammate, language="en", question="Q", answer="A", position=0
        )


# --- Name


def test_renaming_is_saved_and_recorded(client, owner, mini_app):
    client.force_login(owner)
    response = client.post(settings_url("app_name"), {"name": "Acme Store"})
    assert response.status_code == 302
    mini_app.refresh_from_db()
    assert mini_app.name == "Acme Store"
    event = AppEvent.objects.get(kind=Kind.APP_RENAMED)
    assert (event.actor, event.data) == (owner, {"before": "Acme Shop", "after": "Acme Store"})


def test_an_invalid_name_is_refused_with_a_message_and_nothing_saved(client, owner, mini_app):
    client.force_login(owner)
    response = client.post(settings_url("app_name"), {"name": "Acme\u202eShop"})
    assert response.status_code == 422
    assert "Use visible characters only" in response.content.decode()
    response = client.post(settings_url("app_name"), {"name": ""})
    assert "Enter the app&#x27;s name." in response.content.decode()
    mini_app.refresh_from_db()
    assert mini_app.name == "Acme Shop" and kinds(mini_app) == []


# --- Support e-mail verification


def test_a_new_support_email_is_shared_only_after_its_link_is_used(
    client, owner, mini_app, make_report
):
    from appeals.services import appeal_submit
    from reports.services import report_resolve

    client.force_login(owner)
    response = client.post(settings_url("support_email"), {"support_email": "care@acme.example"})
    assert response.status_code == 302
    mini_app.refresh_from_db()
    assert mini_app.support_email == "care@acme.example"
    assert mini_app.support_email_shared == ""  # not yet verified: not shared
    assert kinds(mini_app) == [Kind.SUPPORT_EMAIL_CHANGED]

    # Meanwhile an appealing reporter is told the developer replies from the app.
    report = make_report("payment", contact_email="payer@example.net")
    report = report_resolve(report=report, actor=owner, notes="Refunded.")
    appeal = appeal_submit(report=report, contact_email="payer@example.net", reason="No refund.")
    reporter = Client()
    page = reporter.get(
        reverse("tickets:report_status", args=["acme", report.report_id]),
        {"key": report.access_key},
    ).content.decode()
    assert "The developer will reply to you by e-mail from the app." in page
    assert "care@acme.example" not in page
    received = OutboundEmail.objects.get(to="payer@example.net", subject__icontains="appeal")
    assert "care@acme.example" not in received.body
    assert not report.events.filter(kind="support_email_shared").exists()
    assert appeal.pk

    # The link was e-mailed to the new address through the outbox.
    link = verification_link()
    assert mail.outbox[-1].to == ["care@acme.example"]
    client.logout()  # whoever reads the mailbox confirms it; no account needed
    confirm_page = client.get(path_of(link))
    assert confirm_page.status_code == 200
    assert "Confirm this address" in confirm_page.content.decode()
    mini_app.refresh_from_db()
    assert mini_app.support_email_verified_at is None  # a GET (a mail scanner) verifies nothing
    done = client.post(path_of(link))
    assert done.status_code == 200 and "Support e-mail confirmed" in done.content.decode()
    mini_app.refresh_from_db()
    assert mini_app.support_email_shared == "care@acme.example"
    assert kinds(mini_app)[0] == Kind.SUPPORT_EMAIL_VERIFIED

    page = reporter.get(
        reverse("tickets:report_status", args=["acme", report.report_id]),
        {"key": report.access_key},
    ).content.decode()
    assert "You can also reach the developer at" in page and "care@acme.example" in page


def test_the_verification_link_works_once(client, owner, mini_app):
    services.support_email_change(mini_app=mini_app, actor=owner, email="care@acme.example")
    link = path_of(verification_link())
    assert client.post(link).status_code == 200
    again = client.post(link)
    assert again.status_code == 404
    assert "It was used already" in again.content.decode()
    assert client.get(link).status_code == 404


def test_a_replaced_or_expired_link_is_refused(client, owner, mini_app):
    services.support_email_change(mini_app=mini_app, actor=owner, email="one@acme.example")
    first = path_of(verification_link())
    services.support_email_change(mini_app=mini_app, actor=owner, email="two@acme.example")
    second = path_of(verification_link())
    assert client.post(first).status_code == 404  # replaced by the newer address's link
    MiniApp.objects.filter(pk=mini_app.pk).update(
        support_email_token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired = client.post(second)
    assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
    mini_app.refresh_from_db()
    assert mini_app.support_email_verified_at is None
    # A fresh link from the Settings page works.
    client.force_login(owner)
    client.post(settings_url("support_email_resend"))
    assert client.post(path_of(verification_link())).status_code == 200
    mini_app.refresh_from_db()
    assert mini_app.support_email_shared == "two@acme.example"


def test_an_invalid_support_email_is_refused_with_a_message(client, owner, mini_app):
    client.force_login(owner)
    response = client.post(settings_url("support_email"), {"support_email": "not an address"})
    assert response.status_code == 422
    assert "Enter a valid e-mail address" in response.content.decode()
    mini_app.refresh_from_db()
    assert mini_app.support_email == "help@acme.example" and mini_app.support_email_shared
    assert not OutboundEmail.objects.exists()


def test_the_migration_counts_existing_addresses_as_verified():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("reports.migrations.0014_support_email_verification")
    app = MiniApp.objects.create(name="Old", slug="old", support_email="old@example.com")
    assert app.support_email_shared == ""
    migration.existing_addresses_verified(apps, None)
    app.refresh_from_db()
    assert app.support_email_shared == "old@example.com"


# --- Help-center content


def test_an_owner_writes_the_intro_and_faq_in_both_languages(client, owner, mini_app):
    client.force_login(owner)
    client.post(settings_url("help_intro", "es"), {"intro-es-text": "Bienvenido."})
    client.post(
        settings_url("faq_add"),
        {
            "language": "en",
            "question": "Where is my refund?",
            "answer": "Within 5 days.",
            "position": 2,
        },
    )
    client.post(
        settings_url("faq_add"),
        {"language": "es", "question": "¿Y mi reembolso?", "answer": "En 5 días.", "position": 1},
    )
    assert HelpIntro.objects.get(language="es").text == "Bienvenido."
    assert sorted(FaqEntry.objects.values_list("language", "question")) == [
        ("en", "Where is my refund?"),
        ("es", "¿Y mi reembolso?"),
    ]
    entry = FaqEntry.objects.get(language="en")
    edit = client.get(settings_url("faq_edit", entry.pk))
    assert "Where is my refund?" in edit.content.decode()
    client.post(
        settings_url("faq_edit", entry.pk),
        {
            "language": "en",
            "question": "Where is my refund?",
            "answer": "Within 3 days.",
            "position": 0,
        },
    )
    entry.refresh_from_db()
    assert entry.answer == "Within 3 days."
    client.post(settings_url("faq_delete", entry.pk))
    assert not FaqEntry.objects.filter(pk=entry.pk).exists()
    assert sorted(kinds(mini_app)) == sorted(
        [
            Kind.HELP_INTRO_CHANGED,
            Kind.FAQ_ADDED,
            Kind.FAQ_ADDED,
            Kind.FAQ_CHANGED,
            Kind.FAQ_DELETED,
        ]
    )


def test_a_faq_entry_needs_a_question_and_an_answer(client, owner, mini_app):
    client.force_login(owner)
    response = client.post(
        settings_url("faq_add"), {"language": "fr", "question": "", "answer": "", "position": "x"}
    )
    page = response.content.decode()
    assert response.status_code == 422
    for message in ("Choose English or Spanish.", "Enter the question.", "Enter the answer."):
        assert message in page
    assert "Enter a whole number" in page
    assert not FaqEntry.objects.exists()


def test_another_apps_faq_entry_is_not_found(client, owner, other_app):
    entry = FaqEntry.objects.create(mini_app=other_app, language="en", question="Q", answer="A")
    client.force_login(owner)
    assert client.get(settings_url("faq_edit", entry.pk)).status_code == 404
    assert client.post(settings_url("faq_delete", entry.pk)).status_code == 404
    assert FaqEntry.objects.filter(pk=entry.pk).exists()


# --- The signing secret


def test_a_reveal_shows_the_secret_and_is_recorded(client, owner, mini_app):
    client.force_login(owner)
    response = client.post(settings_url("secret_reveal"))
    assert response.status_code == 200
    assert 'value="s3cret"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AppEvent.objects.get(kind=Kind.SECRET_REVEALED)
    assert event.actor == owner and "s3cret" not in str(event.data)
    # The next plain view is masked again.
    assert b"s3cret" not in client.get(settings_url("app_settings")).content


def test_a_rotation_activates_a_new_secret_and_shows_when_the_old_one_stops(
    client, owner, mini_app
):
    client.force_login(owner)
    response = client.post(settings_url("secret_rotate"), follow=True)
    mini_app.refresh_from_db()
    assert mini_app.signing_secret != "s3cret"
    assert mini_app.previous_signing_secret == "s3cret"
    page = response.content.decode()
    assert "A new signing secret is active now" in page
    assert "the previous one is still accepted until" in page
    assert "s3cret" not in page and mini_app.signing_secret not in page
    event = AppEvent.objects.get(kind=Kind.SECRET_ROTATED)
    assert event.actor == owner and event.data == {}
    # After the grace period the page says the previous secret is refused.
    MiniApp.objects.filter(pk=mini_app.pk).update(
        signing_secret_rotated_at=timezone.now() - timedelta(hours=25)
    )
    page = client.get(settings_url("app_settings")).content.decode()
    assert "the previous secret is no longer accepted" in page


def test_the_admin_never_shows_the_secret(admin_client, mini_app):
    page = admin_client.get(reverse("admin:reports_miniapp_change", args=[mini_app.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "s3cret" not in body and "••••" in body
    assert 'name="signing_secret"' not in body


def test_a_support_email_changed_in_the_admin_is_verified_too(admin_client, mini_app):
    response = admin_client.post(
        reverse("admin:reports_miniapp_change", args=[mini_app.pk]),
        {
            "name": "Acme Shop",
            "slug": "acme",
            "support_email": "desk@acme.example",
            "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mini_app.refresh_from_db()
    assert mini_app.signing_secret == "s3cret"  # not a form field: untouched
    assert mini_app.support_email_shared == ""
    assert verification_link()
    assert mail.outbox[-1].to == ["desk@acme.example"]


def test_a_double_click_on_rotate_rotates_once(client, owner, mini_app):
    client.force_login(owner)
    page = client.get(settings_url("app_settings")).content.decode()
    stamp = re.search(r'name="rotated_at" value="([^"]*)"', page).group(1)
    assert stamp == ""  # never rotated
    client.post(settings_url("secret_rotate"), {"rotated_at": stamp})
    first = MiniApp.objects.get(pk=mini_app.pk)
    response = client.post(settings_url("secret_rotate"), {"rotated_at": stamp}, follow=True)
    assert "was not rotated again" in response.content.decode()
    second = MiniApp.objects.get(pk=mini_app.pk)
    assert (second.signing_secret, second.previous_signing_secret) == (
        first.signing_secret,
        "s3cret",
    )
    assert kinds(mini_app) == [Kind.SECRET_ROTATED]
    # The page now carries the new stamp, and warns that rotating again cuts the old secret.
    page = client.get(settings_url("app_settings")).content.decode()
    assert "Rotating again now refuses the previous secret at once" in page
    stamp = re.search(r'name="rotated_at" value="([^"]*)"', page).group(1)
    client.post(settings_url("secret_rotate"), {"rotated_at": stamp})
    third = MiniApp.objects.get(pk=mini_app.pk)
    assert third.previous_signing_secret == first.signing_secret


OWNER_ONLY_POSTS = [
    ("app_name", (), {"name": "Hijacked"}),
    ("support_email", (), {"support_email": "thief@example.com"}),
    ("support_email_resend", (), {}),
    ("help_intro", ("en",), {"intro-en-text": "Hijacked"}),
    ("faq_add", (), {"language": "en", "question": "Q?", "answer": "A.", "position": 1}),
    ("faq_edit", ("ENTRY",), {"language": "en", "question": "Q?", "answer": "B.", "position": 1}),
    ("faq_delete", ("ENTRY",), {}),
    ("secret_reveal", (), {}),
    ("secret_rotate", (), {}),
]


@pytest.mark.parametrize("member", ["teammate", "viewer"])
@pytest.mark.parametrize(("name", "args", "data"), OWNER_ONLY_POSTS, ids=lambda v: str(v)[:20])
def test_every_settings_change_is_refused_to_handlers_and_viewers(
    client, request, member, mini_app, name, args, data
):
    entry = FaqEntry.objects.create(mini_app=mini_app, language="en", question="Q", answer="A")
    args = tuple(entry.pk if arg == "ENTRY" else arg for arg in args)
    client.force_login(request.getfixturevalue(member))
    state = lambda: (  # noqa: E731
        MiniApp.objects.values_list("name", "support_email", "signing_secret").get(pk=mini_app.pk),
        list(FaqEntry.objects.values_list("question", "answer")),
        list(HelpIntro.objects.values_list("text", flat=True)),
        OutboundEmail.objects.count(),
    )
    before = state()
    response = client.post(settings_url(name, *args), data)
    assert response.status_code == 403
    assert b"s3cret" not in response.content
    assert state() == before and kinds(mini_app) == []


def test_a_reveal_from_the_integration_page_answers_there(client, owner, mini_app):
    client.force_login(owner)
    response = client.post(settings_url("secret_reveal"), {"page": "integration"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "API quick start" in page and 'value="s3cret"' in page
