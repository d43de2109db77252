"""What must always hold is enforced by the database itself, not only by forms."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reports.models import Category, IssueType, Report, ReportEvent, Status
from tests.factories import issue_type

pytestmark = pytest.mark.django_db


def raw_report(mini_app, **fields) -> Report:
    now = timezone.now()
    values = {
        "mini_app": mini_app,
        "category": Category.EXPERIENCE,
        "issue_type": issue_type("experience.crash"),
        "details": "Crashes.",
        "created_at": now,
        "due_at": now + timedelta(hours=72),
    }
    values.update(fields)
    return Report(**values)


def assert_refused(report: Report) -> None:
    before = Report.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        report.save()
    assert Report.objects.count() == before


def test_a_valid_report_is_accepted(mini_app):
    raw_report(mini_app).save()
    assert Report.objects.count() == 1


def test_payment_report_needs_an_order_id(mini_app):
    assert_refused(
        raw_report(
            mini_app,
            category=Category.PAYMENT,
            issue_type=issue_type("payment.refund"),
            order_id="",
        )
    )


def test_community_report_has_no_details(mini_app):
    assert_refused(
        raw_report(
            mini_app,
            category=Category.COMMUNITY,
            issue_type=issue_type("community.spam"),
            details="should not be here",
        )
    )


def test_experience_report_needs_details(mini_app):
    assert_refused(raw_report(mini_app, details=""))


def test_issue_type_must_belong_to_the_category(mini_app):
    assert_refused(raw_report(mini_app, issue_type=issue_type("payment.refund")))


@pytest.mark.parametrize("field, value", [("status", "closed"), ("category", "billing")])
def test_status_and_category_are_one_of_the_choices(mini_app, field, value):
    assert_refused(raw_report(mini_app, **{field: value}))


def test_pending_report_cannot_have_a_handled_time(mini_app):
    assert_refused(raw_report(mini_app, handled_at=timezone.now()))


def test_handled_report_needs_a_handled_time(mini_app):
    assert_refused(raw_report(mini_app, status=Status.RESOLVED, handled_at=None))


def test_due_time_is_after_report_time(mini_app):
    assert_refused(raw_report(mini_app, due_at=timezone.now() - timedelta(hours=1)))


def test_report_id_is_globally_unique(mini_app, other_app):
    raw_report(mini_app, report_id="ABCDEFGHJK").save()
    assert_refused(raw_report(other_app, report_id="ABCDEFGHJK"))


def test_submission_key_is_unique_within_an_app(mini_app, other_app):
    raw_report(mini_app, submission_key="k1").save()
    raw_report(other_app, submission_key="k1").save()  # another tenant: fine
    raw_report(mini_app, submission_key="").save()  # empty keys never clash
    raw_report(mini_app, submission_key="").save()
    assert_refused(raw_report(mini_app, submission_key="k1"))


def test_issue_type_code_must_carry_its_category(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        IssueType.objects.create(code="payment.odd", category="community", name="x", position=99)


def test_only_one_past_due_event_per_report(mini_app):
    report = raw_report(mini_app)
    report.save()
    ReportEvent.objects.create(report=report, kind=ReportEvent.Kind.PAST_DUE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportEvent.objects.create(report=report, kind=ReportEvent.Kind.PAST_DUE)


def test_catalogue_is_seeded_in_order(catalogue):
    # `catalogue`: the migration's seed, run again if a transactional test's flush emptied the
    # table before this test (on its xdist worker, in any order).
    names = list(IssueType.objects.filter(category=Category.PAYMENT).values_list("name", flat=True))
    assert names == [
        "Charged but order not received",
        "Refund request",
        "Charged twice",
        "Wrong amount charged",
        "Subscription problem",
        "Other",
    ]
    assert IssueType.objects.filter(category=Category.COMMUNITY).count() == 8
    assert IssueType.objects.filter(category=Category.EXPERIENCE).first().name == (
        "App crashes or freezes"
    )
