"""The appeal rules in the services: who may appeal, the history rows, the e-mails."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from appeals.models import Appeal
from appeals.services import (
    AppealConflict,
    AppealRefused,
    appeal_overturn,
    appeal_uphold,
    appeals_mark_past_due,
)
from reports.models import Category, OutboundEmail, ReportEvent, Status
from reports.outbox import email_deliver
from reports.services import (
    ReportConflict,
    ReportRuleError,
    report_notes_edit,
    report_reopen,
    report_resolve,
)

Kind = ReportEvent.Kind
pytestmark = pytest.mark.django_db


def deliver_all() -> list:
    """The appeal's e-mails (the report's decision e-mail, queued before, is not one)."""
    unsent = OutboundEmail.objects.filter(sent_at__isnull=True)
    for email in unsent.exclude(dedupe_key__startswith="reports:").order_by("pk"):
        email_deliver(email_id=email.pk)
    return mail.outbox


def test_appeal_records_history_and_shares_the_support_email(resolved_report, make_appeal):
    appeal = make_appeal(resolved_report)
    assert appeal.state == Appeal.State.OPEN
    assert appeal.appealed_status == Status.RESOLVED
    assert appeal.due_at == appeal.created_at + timedelta(hours=72)
    events = list(resolved_report.events.order_by("id").values_list("kind", "data"))
    assert events[-2:] == [
        (Kind.APPEAL_SUBMITTED, {"appeal": appeal.pk}),
        (
            Kind.SUPPORT_EMAIL_SHARED,
            {
                "appeal": appeal.pk,
                "support_email": "help@acme.example",
                "shared_with": "reporter@example.net",
            },
        ),
    ]


def test_appeal_emails_the_reporter_and_every_member(resolved_report, make_appeal, teammate):
    appeal = make_appeal(resolved_report, contact_email="someone@example.org")
    sent = {message.to[0]: message for message in deliver_all()}
    assert set(sent) == {"someone@example.org", "owner@acme.example", "teammate@acme.example"}
    confirmation = sent["someone@example.org"]
    assert resolved_report.report_id in confirmation.subject
    assert "You can also reach the developer at help@acme.example." in confirmation.body
    assert f"?key={resolved_report.access_key}" in confirmation.body
    assert "Refund sent on the 3rd" not in confirmation.body  # internal notes stay internal
    notice = sent["owner@acme.example"]
    assert "New appeal" in notice.subject
    assert f"/console/acme/appeals/{appeal.pk}/" in notice.body


def test_the_emails_are_queued_once_per_appeal(resolved_report, make_appeal, teammate):
    appeal = make_appeal(resolved_report)
    appeal_emails = OutboundEmail.objects.exclude(dedupe_key__startswith="reports:decision:")
    keys = set(appeal_emails.values_list("dedupe_key", flat=True))
    assert keys == {
        f"appeal_received:{appeal.pk}",
        f"appeal_new:{appeal.pk}:{resolved_report.handled_by.pk}",
        f"appeal_new:{appeal.pk}:{teammate.pk}",
    }


@pytest.mark.parametrize(
    ("category", "fields"),
    [
        (Category.EXPERIENCE, {}),
        (Category.COMMUNITY, {"screenshots": "shot"}),
    ],
)
def test_only_payment_reports_can_be_appealed(
    make_report, make_appeal, owner, screenshot, category, fields
):
    if fields.get("screenshots"):
        fields["screenshots"] = [screenshot]
    report = report_resolve(report=make_report(category, **fields), actor=owner)
    with pytest.raises(AppealRefused, match="payment and order reports only"):
        make_appeal(report)
    assert not Appeal.objects.exists()
    assert not report.events.filter(kind=Kind.APPEAL_SUBMITTED).exists()


def test_a_pending_report_cannot_be_appealed(make_report, make_appeal):
    with pytest.raises(AppealRefused, match="still being handled"):
        make_appeal(make_report(Category.PAYMENT))
    assert not Appeal.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_a_dismissed_report_can_be_appealed(handled_report, make_appeal):
    appeal = make_appeal(handled_report("dismissed"))
    assert appeal.appealed_status == Status.DISMISSED


def test_a_second_appeal_is_refused_while_one_is_open(resolved_report, make_appeal):
    make_appeal(resolved_report)
    with pytest.raises(AppealRefused, match="being reviewed"):
        make_appeal(resolved_report)
    assert Appeal.objects.count() == 1


def test_an_upheld_decision_cannot_be_appealed_again(resolved_report, make_appeal, owner):
    appeal_uphold(appeal=make_appeal(resolved_report), actor=owner, reply="We checked: paid.")
    with pytest.raises(AppealRefused, match="already been reviewed"):
        make_appeal(resolved_report)


def test_a_report_handled_again_can_be_appealed_again(resolved_report, make_appeal, owner):
    appeal = make_appeal(resolved_report)
    appeal_overturn(appeal=appeal, actor=owner, reply="Reopening.", new_status=Status.PENDING)
    report = report_resolve(
        report=resolved_report.__class__.objects.get(pk=resolved_report.pk), actor=owner
    )
    second = make_appeal(report)
    assert second.appealed_handled_at == report.handled_at
    assert Appeal.objects.count() == 2


def test_an_overturned_decision_is_not_appealable_in_turn(handled_report, make_appeal, owner):
    report = handled_report("dismissed")
    appeal_overturn(
        appeal=make_appeal(report), actor=owner, reply="You were right.", new_status="resolved"
    )
    report.refresh_from_db()
    assert report.status == Status.RESOLVED
    with pytest.raises(AppealRefused, match="already been reviewed"):
        make_appeal(report)


def test_the_database_allows_one_appeal_per_handling(resolved_report, make_appeal, owner):
    """The constraint behind the rule: even a write that skips the service is refused."""
    from django.db import IntegrityError, transaction

    appeal = make_appeal(resolved_report)
    appeal_uphold(appeal=appeal, actor=owner, reply="Stands.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(
            report=resolved_report,
            mini_app=resolved_report.mini_app,
            contact_email="x@example.net",
            reason="again",
            appealed_status=Status.RESOLVED,
            appealed_handled_at=resolved_report.handled_at,
            due_at=timezone.now() + timedelta(hours=72),
        )


def test_uphold_keeps_the_decision_and_tells_the_reporter(resolved_report, make_appeal, owner):
    appeal = make_appeal(resolved_report)
    mail.outbox.clear()
    OutboundEmail.objects.update(sent_at=timezone.now())
    decided = appeal_uphold(appeal=appeal, actor=owner, reply="  The refund was sent.  ")
    assert decided.state == Appeal.State.UPHELD
    assert decided.reply == "The refund was sent."
    assert decided.decided_by == owner
    resolved_report.refresh_from_db()
    assert resolved_report.status == Status.RESOLVED
    event = resolved_report.events.get(kind=Kind.APPEAL_UPHELD)
    assert event.actor == owner and event.data == {"appeal": appeal.pk}
    [outcome] = deliver_all()
    assert outcome.to == ["reporter@example.net"]
    assert "the decision stands" in outcome.subject
    assert "The refund was sent." in outcome.body
    assert "You can also reach the developer at help@acme.example." in outcome.body
    assert "Refund sent on the 3rd" not in outcome.body


def test_overturn_changes_the_report_decision(handled_report, make_appeal, owner):
    report = handled_report("dismissed")
    appeal = make_appeal(report)
    version = report.version
    OutboundEmail.objects.update(sent_at=timezone.now())
    decided = appeal_overturn(
        appeal=appeal,
        actor=owner,
        reply="Refund issued today.",
        new_status=Status.RESOLVED,
        expected_version=version,
    )
    report.refresh_from_db()
    assert decided.state == Appeal.State.OVERTURNED
    assert decided.new_status == Status.RESOLVED
    assert report.status == Status.RESOLVED
    assert report.handled_by == owner
    assert report.handled_at == decided.decided_at
    event = report.events.get(kind=Kind.APPEAL_OVERTURNED)
    assert event.actor == owner
    assert event.data == {"previous_status": "dismissed", "status": "resolved"}
    [outcome] = deliver_all()
    assert "the decision was overturned" in outcome.subject
    assert "Your report is now Resolved." in outcome.body
    assert "Refund issued today." in outcome.body


def test_overturn_back_to_pending_reopens_the_report(resolved_report, make_appeal, owner):
    appeal_overturn(
        appeal=make_appeal(resolved_report),
        actor=owner,
        reply="Looking again.",
        new_status="pending",
    )
    resolved_report.refresh_from_db()
    assert resolved_report.status == Status.PENDING
    assert resolved_report.handled_at is None and resolved_report.handled_by is None


def test_a_stale_overturn_changes_nothing(resolved_report, make_appeal, owner, teammate):
    appeal = make_appeal(resolved_report)
    seen_version = resolved_report.version
    # A teammate edits the notes meanwhile: the overturn was decided on an older view.
    report_notes_edit(report=resolved_report, actor=teammate, notes="Called the bank.")
    with pytest.raises(ReportConflict, match="changed by someone else"):
        appeal_overturn(
            appeal=appeal,
            actor=owner,
            reply="Overturned.",
            new_status=Status.DISMISSED,
            expected_version=seen_version,
        )
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.OPEN  # the whole decision rolled back
    assert not OutboundEmail.objects.filter(dedupe_key__startswith="appeal_outcome").exists()


def test_two_developers_cannot_both_decide(resolved_report, make_appeal, owner, teammate):
    appeal = make_appeal(resolved_report)
    appeal_uphold(appeal=appeal, actor=owner, reply="Stands.")
    with pytest.raises(AppealConflict, match="already upheld by owner@acme.example"):
        appeal_overturn(appeal=appeal, actor=teammate, reply="No.", new_status="dismissed")
    resolved_report.refresh_from_db()
    assert resolved_report.status == Status.RESOLVED
    assert OutboundEmail.objects.filter(dedupe_key__startswith="appeal_outcome").count() == 1


def test_a_decision_needs_a_reply(resolved_report, make_appeal, owner):
    appeal = make_appeal(resolved_report)
    with pytest.raises(ValueError, match="reply"):
        appeal_uphold(appeal=appeal, actor=owner, reply="   ")
    appeal.refresh_from_db()
    assert appeal.is_open


def test_appeal_screenshots_are_stored_and_removed_with_a_refused_appeal(
    resolved_report, make_appeal, screenshot, media_root
):
    appeal = make_appeal(resolved_report, screenshots=[screenshot, screenshot])
    shots = list(appeal.screenshots.all())
    assert [shot.position for shot in shots] == [0, 1]
    assert all((media_root / shot.image.name).exists() for shot in shots)
    with pytest.raises(AppealRefused):
        make_appeal(resolved_report, screenshots=[screenshot])
    stored = list((media_root / "appeal-screenshots").iterdir())
    assert len(stored) == 4  # two images, two thumbnails: nothing left by the refused one


def test_past_due_marks_open_appeals_once(resolved_report, handled_report, make_appeal, owner):
    late = make_appeal(resolved_report)
    decided = make_appeal(handled_report("dismissed"))
    appeal_uphold(appeal=decided, actor=owner, reply="Stands.")
    fresh = make_appeal(handled_report())
    Appeal.objects.filter(pk__in=[late.pk, decided.pk]).update(
        created_at=timezone.now() - timedelta(hours=80),
        due_at=timezone.now() - timedelta(hours=8),
    )
    assert appeals_mark_past_due() == 1
    assert appeals_mark_past_due() == 0  # a second run marks nothing more
    late.refresh_from_db(), decided.refresh_from_db(), fresh.refresh_from_db()
    assert late.past_due_at is not None
    assert decided.past_due_at is None and fresh.past_due_at is None


def test_the_past_due_mark_is_exact(resolved_report, make_appeal):
    appeal = make_appeal(resolved_report)
    assert appeals_mark_past_due(now=appeal.due_at - timedelta(microseconds=1)) == 0
    assert appeals_mark_past_due(now=appeal.due_at) == 1


def test_the_mark_stays_when_the_appeal_is_decided_late(resolved_report, make_appeal, owner):
    appeal = make_appeal(resolved_report)
    appeals_mark_past_due(now=appeal.due_at)
    decided = appeal_uphold(appeal=appeal, actor=owner, reply="Late, sorry.")
    assert decided.past_due_at == appeal.due_at


def test_a_report_reopened_meanwhile_cannot_be_overturned(resolved_report, make_appeal, owner):
    appeal = make_appeal(resolved_report)
    report_reopen(report=resolved_report, actor=owner)
    with pytest.raises(ReportRuleError, match="Only a resolved or dismissed report"):
        appeal_overturn(appeal=appeal, actor=owner, reply="Changed.", new_status="dismissed")
    appeal.refresh_from_db()
    assert appeal.is_open


def test_report_decision_change_refuses_what_is_not_a_change(resolved_report, make_report, owner):
    from reports.services import report_decision_change

    with pytest.raises(ReportRuleError, match="must differ"):
        report_decision_change(report=resolved_report, actor=owner, status=Status.RESOLVED)
    with pytest.raises(ReportRuleError, match="Only a resolved or dismissed report"):
        report_decision_change(
            report=make_report(Category.PAYMENT), actor=owner, status=Status.DISMISSED
        )
    with pytest.raises(ReportRuleError, match="Unknown status"):
        report_decision_change(report=resolved_report, actor=owner, status="archived")
    resolved_report.refresh_from_db()
    assert resolved_report.status == Status.RESOLVED
    assert not resolved_report.events.filter(kind=Kind.APPEAL_OVERTURNED).exists()
