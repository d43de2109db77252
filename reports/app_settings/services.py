"""Every change to an app's settings: name, support e-mail, help-center content, signing secret.

Each one checks the actor's role first (owners only) and writes a line of the app's audit log
(reports.services.app_event_record) in its own transaction. A secret's value is never logged.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ..models import (
    AppEvent,
    Category,
    FaqEntry,
    HelpIntro,
    IssueType,
    MiniApp,
    Report,
    new_signing_secret,
)
from ..outbox import email_enqueue
from ..roles import HANDLING_ROLES, MANAGING_ROLES, role_require
from ..services import ReportInput, app_event_record, report_submit
from ..signing import open_id_link_query
from .selectors import rotation_stamp

Kind = AppEvent.Kind
# A verification link stays usable this long; a new link (or a new address) replaces it.
SUPPORT_EMAIL_LINK_VALID = timedelta(days=3)
TEST_REPORT_ISSUE_TYPE = "experience.other"


class VerificationLinkInvalid(Exception):
    """The link is unknown, already used, or replaced by a newer one."""


class VerificationLinkExpired(Exception):
    """The link is genuine but older than SUPPORT_EMAIL_LINK_VALID."""


def _owner_required(*, mini_app: MiniApp, actor: AbstractBaseUser | None) -> None:
    role_require(actor=actor, mini_app_id=mini_app.pk, roles=MANAGING_ROLES)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Name and support e-mail


@transaction.atomic
def app_rename(*, mini_app: MiniApp, actor: AbstractBaseUser | None, name: str) -> MiniApp:
    _owner_required(mini_app=mini_app, actor=actor)
    before = mini_app.name
    if name == before:
        return mini_app
    mini_app.name = name
    mini_app.save(update_fields=["name"])
    app_event_record(
        mini_app=mini_app, kind=Kind.APP_RENAMED, actor=actor, before=before, after=name
    )
    return mini_app


@transaction.atomic
def support_email_change(
    *, mini_app: MiniApp, actor: AbstractBaseUser | None, email: str, now: datetime | None = None
) -> MiniApp:
    """Set a new support e-mail; it is shared with reporters only once verified by its link."""
    _owner_required(mini_app=mini_app, actor=actor)
    before = mini_app.support_email
    if email == before:
        return mini_app
    mini_app.support_email = email
    mini_app.support_email_verified_at = None
    mini_app.save(update_fields=["support_email", "support_email_verified_at"])
    app_event_record(
        mini_app=mini_app, kind=Kind.SUPPORT_EMAIL_CHANGED, actor=actor, before=before, after=email
    )
    _verification_link_send(mini_app=mini_app, now=now)
    return mini_app


@transaction.atomic
def support_email_verification_send(
    *, mini_app: MiniApp, actor: AbstractBaseUser | None, now: datetime | None = None
) -> MiniApp:
    """Send a fresh link to the unverified support e-mail (the earlier link stops working)."""
    _owner_required(mini_app=mini_app, actor=actor)
    if mini_app.support_email_verified_at is None:
        _verification_link_send(mini_app=mini_app, now=now)
    return mini_app


def _verification_link_send(*, mini_app: MiniApp, now: datetime | None) -> None:
    # Inside the caller's transaction: the token and its e-mail exist together or not at all.
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    mini_app.support_email_token_hash = _token_hash(token)
    mini_app.support_email_token_expires_at = now + SUPPORT_EMAIL_LINK_VALID
    mini_app.save(update_fields=["support_email_token_hash", "support_email_token_expires_at"])
    link = settings.SITE_URL + reverse("reports:support_email_verify", kwargs={"token": token})
    context = {"mini_app": mini_app, "link": link, "valid_days": SUPPORT_EMAIL_LINK_VALID.days}
    email_enqueue(
        to=mini_app.support_email,
        subject=f"Confirm the support e-mail of {mini_app.name}",
        body=render_to_string("reports/app_settings/email/support_email_verify.txt", context),
        dedupe_key=f"support-email-verify:{mini_app.support_email_token_hash}",
    )


def support_email_link_check(*, token: str, now: datetime | None = None) -> MiniApp:
    """The app whose pending verification link this is; raises if it cannot be used."""
    mini_app = MiniApp.objects.filter(support_email_token_hash=_token_hash(token)).first()
    if mini_app is None or not token:
        raise VerificationLinkInvalid
    if mini_app.support_email_token_expires_at <= (now or timezone.now()):
        raise VerificationLinkExpired
    return mini_app


def support_email_verify(*, token: str, now: datetime | None = None) -> MiniApp:
    """Use a verification link once: the address becomes the one reporters are shown."""
    now = now or timezone.now()
    with transaction.atomic():
        mini_app = support_email_link_check(token=token, now=now)
        # Claim the token with a conditional update: two clicks verify once.
        claimed = MiniApp.objects.filter(
            pk=mini_app.pk, support_email_token_hash=mini_app.support_email_token_hash
        ).update(support_email_token_hash="", support_email_verified_at=now)
        if claimed != 1:
            raise VerificationLinkInvalid
        mini_app.refresh_from_db()
        # Whoever holds the mailbox verified it; no member account is needed (actor None).
        app_event_record(
            mini_app=mini_app,
            kind=Kind.SUPPORT_EMAIL_VERIFIED,
            actor=None,
            email=mini_app.support_email,
        )
    return mini_app


# --- Help-center content


@transaction.atomic
def help_intro_set(
    *, mini_app: MiniApp, actor: AbstractBaseUser | None, language: str, text: str
) -> HelpIntro:
    _owner_required(mini_app=mini_app, actor=actor)
    intro, _created = HelpIntro.objects.update_or_create(
        mini_app=mini_app, language=language, defaults={"text": text, "updated_at": timezone.now()}
    )
    app_event_record(
        mini_app=mini_app, kind=Kind.HELP_INTRO_CHANGED, actor=actor, language=language
    )
    return intro


@transaction.atomic
def faq_entry_add(
    *,
    mini_app: MiniApp,
    actor: AbstractBaseUser | None,
    language: str,
    question: str,
    answer: str,
    position: int,
) -> FaqEntry:
    _owner_required(mini_app=mini_app, actor=actor)
    entry = FaqEntry.objects.create(
        mini_app=mini_app, language=language, question=question, answer=answer, position=position
    )
    app_event_record(
        mini_app=mini_app, kind=Kind.FAQ_ADDED, actor=actor, entry=entry.pk, question=question
    )
    return entry


@transaction.atomic
def faq_entry_change(
    *,
    entry: FaqEntry,
    actor: AbstractBaseUser | None,
    language: str,
    question: str,
    answer: str,
    position: int,
) -> FaqEntry:
    _owner_required(mini_app=entry.mini_app, actor=actor)
    entry.language, entry.question, entry.answer, entry.position = (
        language,
        question,
        answer,
        position,
    )
    entry.save(update_fields=["language", "question", "answer", "position"])
    app_event_record(
        mini_app=entry.mini_app,
        kind=Kind.FAQ_CHANGED,
        actor=actor,
        entry=entry.pk,
        question=question,
    )
    return entry


@transaction.atomic
def faq_entry_delete(*, entry: FaqEntry, actor: AbstractBaseUser | None) -> None:
    _owner_required(mini_app=entry.mini_app, actor=actor)
    app_event_record(
        mini_app=entry.mini_app,
        kind=Kind.FAQ_DELETED,
        actor=actor,
        entry=entry.pk,
        question=entry.question,
    )
    entry.delete()


# --- The signing secret


@transaction.atomic
def signing_secret_reveal(*, mini_app: MiniApp, actor: AbstractBaseUser | None) -> str:
    """The secret, for an owner who asked to see it; each reveal is in the audit log."""
    _owner_required(mini_app=mini_app, actor=actor)
    app_event_record(mini_app=mini_app, kind=Kind.SECRET_REVEALED, actor=actor)
    return MiniApp.objects.values_list("signing_secret", flat=True).get(pk=mini_app.pk)


class SecretRotatedMeanwhile(Exception):
    """The secret was rotated after the page asking for this rotation was shown."""


@transaction.atomic
def signing_secret_rotate(
    *,
    mini_app: MiniApp,
    actor: AbstractBaseUser | None,
    seen_rotated_at: str | None = None,
    now: datetime | None = None,
) -> MiniApp:
    """A new secret, active at once; the one it replaces keeps signing for SECRET_GRACE.

    A second rotation within the grace period drops the oldest secret at once: only the
    secret just replaced stays accepted (reports.signing.secrets_accepted). So a rotation
    asked for from a page (seen_rotated_at: the rotation time that page showed, "" for none)
    is refused with SecretRotatedMeanwhile if another one happened since: a double-click or
    two owners at once must not cut off the secret the app's servers still use.
    """
    _owner_required(mini_app=mini_app, actor=actor)
    now = now or timezone.now()
    # Locked, so two owners rotating at once both keep a secret that really was current.
    current = MiniApp.objects.select_for_update().get(pk=mini_app.pk)
    if seen_rotated_at is not None and seen_rotated_at != rotation_stamp(current):
        raise SecretRotatedMeanwhile
    mini_app.previous_signing_secret = current.signing_secret
    mini_app.signing_secret = new_signing_secret()
    mini_app.signing_secret_rotated_at = now
    mini_app.save(
        update_fields=["previous_signing_secret", "signing_secret", "signing_secret_rotated_at"]
    )
    app_event_record(mini_app=mini_app, kind=Kind.SECRET_ROTATED, actor=actor)
    return mini_app


# --- The Integration page's test report


def report_test_file(*, mini_app: MiniApp, actor: AbstractBaseUser) -> Report:
    """File a report marked as a test through the real submission service (report_submit).

    It is a normal report (listed, due, handled like any other): the team sees the whole path a
    reporter's report takes. Its source ("Test from the console") and its text say it is a test.
    Owners and handlers may send one (they handle it afterwards); a viewer changes nothing.
    """
    role_require(actor=actor, mini_app_id=mini_app.pk, roles=HANDLING_ROLES)
    name = actor.get_full_name() or actor.get_username()
    report = report_submit(
        mini_app=mini_app,
        data=ReportInput(
            category=Category.EXPERIENCE,
            issue_type=IssueType.objects.get(code=TEST_REPORT_ISSUE_TYPE),
            details=(
                f"TEST REPORT sent by {name} from the Integration page. No reporter is waiting "
                "for an answer: resolve or dismiss it to try the handling panel."
            ),
            source=Report.Source.CONSOLE_TEST,
        ),
    )
    app_event_record(
        mini_app=mini_app, kind=Kind.TEST_REPORT_SENT, actor=actor, report=report.report_id
    )
    return report


# --- The Integration page's signed-link generator


def signed_link_generate(
    *, mini_app: MiniApp, actor: AbstractBaseUser, open_id: str, now: float | None = None
) -> str:
    """A working help-center link for this Open ID, signed with the app's current secret.

    Owners and handlers only: a signed link vouches for a reporter's identity, which is more
    than a viewer's reading; changes nothing, so nothing is logged.
    """
    role_require(actor=actor, mini_app_id=mini_app.pk, roles=HANDLING_ROLES)
    query = open_id_link_query(mini_app=mini_app, open_id=open_id, now=now)
    return settings.SITE_URL + reverse("tickets:help_home", args=[mini_app.slug]) + "?" + query
