"""The insights rollups, added in the services' transactions, equal insights_rebuild's
recomputation from the reports and their history, whatever sequence of changes ran."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from appeals.services import AppealRefused, appeal_overturn, appeal_submit, appeal_uphold
from reports.insights.rebuild import rollups_computed, rollups_differences, rollups_stored
from reports.insights.rollups import (
    DURATION,
    HANDLED,
    IN_TIME,
    PAST_DUE,
    RECEIVED_CATEGORY,
    bucket_middle_seconds,
    duration_bucket,
)
from reports.models import Category, DismissReason, InsightRollup, Report, Status
from reports.services import (
    Dismissal,
    ReportConflict,
    ReportRuleError,
    report_dismiss,
    report_reopen,
    report_resolve,
    reports_mark_past_due,
)

pytestmark = pytest.mark.django_db(transaction=False)

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """The services' `timezone.now()`, moved by the test."""
    now = [START]
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    return now


def assert_rollups_match(mini_app) -> None:
    stored = rollups_stored(mini_app_id=mini_app.pk)
    computed = rollups_computed(mini_app_id=mini_app.pk)
    assert rollups_differences(stored=stored, computed=computed) == []


def figure(mini_app, measure: str, item: str | None = None) -> int:
    rows = InsightRollup.objects.filter(mini_app=mini_app, measure=measure)
    if item is not None:
        rows = rows.filter(item=item)
    return sum(rows.values_list("n", flat=True))


def test_a_decision_counts_and_a_reopen_takes_it_away(clock, make_report, mini_app, owner):
    report = make_report()
    assert figure(mini_app, RECEIVED_CATEGORY, Category.EXPERIENCE) == 1
    clock[0] += timedelta(hours=5)
    report_resolve(report=report, actor=owner)
    assert figure(mini_app, HANDLED, Status.RESOLVED) == 1
    assert figure(mini_app, IN_TIME) == 1
    assert figure(mini_app, DURATION, str(duration_bucket(5 * 3600))) == 1
    clock[0] += timedelta(hours=1)
    report_reopen(report=report, actor=owner)
    assert figure(mini_app, HANDLED) == 0
    assert figure(mini_app, IN_TIME) == 0
    assert figure(mini_app, DURATION) == 0
    assert_rollups_match(mini_app)


def test_a_report_handled_late_is_handled_but_not_in_time(clock, make_report, mini_app, owner):
    report = make_report()
    clock[0] += timedelta(hours=73)
    assert reports_mark_past_due() == 1
    report_resolve(report=report, actor=owner)
    assert figure(mini_app, PAST_DUE) == 1
    assert figure(mini_app, HANDLED) == 1
    assert figure(mini_app, IN_TIME) == 0
    assert_rollups_match(mini_app)


def test_two_runs_given_the_same_time_count_each_past_due_report_once(make_report, mini_app):
    now = START + timedelta(hours=80)
    make_report(now=START)
    assert reports_mark_past_due(now=now) == 1
    make_report(now=START + timedelta(hours=1))  # filed late, e.g. imported, after that run
    assert reports_mark_past_due(now=now) == 1  # a second explicit run with the same `now`
    assert figure(mini_app, PAST_DUE) == 2
    assert_rollups_match(mini_app)


def test_the_histogram_reads_within_its_stated_bound():
    for seconds in [1, 59, 60, 61, 90, 3599, 3600, 86400, 72 * 3600, 10**7]:
        middle = bucket_middle_seconds(duration_bucket(seconds))
        if seconds >= 60:
            assert abs(middle / seconds - 1) <= 2 ** (1 / 8) - 1 + 1e-9


def test_the_rebuild_reports_and_repairs_a_difference(clock, make_report, mini_app, capsys):
    make_report()
    InsightRollup.objects.filter(measure=RECEIVED_CATEGORY).update(n=5)
    with pytest.raises(CommandError):
        call_command("insights_rebuild", "--check", "--app", mini_app.slug)
    assert "stored 5, recomputed 1" in capsys.readouterr().out
    assert figure(mini_app, RECEIVED_CATEGORY) == 5  # --check writes nothing
    call_command("insights_rebuild")
    assert figure(mini_app, RECEIVED_CATEGORY) == 1
    call_command("insights_rebuild", "--check")
    assert "rollups match" in capsys.readouterr().out


def _step(rng, clock, mini_app, owner, make_report, reports: list[Report]) -> None:
    clock[0] += timedelta(minutes=rng.choice([1, 7, 45, 61, 300, 1500, 3000]))
    action = rng.choice(["submit", "submit", "resolve", "dismiss", "reopen", "mark", "appeal"])
    if action == "submit" or not reports:
        category = rng.choice(Category.values)
        reports.append(make_report(category, source=rng.choice(["web", "api"])))
        return
    report = Report.objects.get(pk=rng.choice(reports).pk)
    try:
        if action == "resolve":
            report_resolve(report=report, actor=owner)
        elif action == "dismiss":
            reason = rng.choice([DismissReason.SPAM, DismissReason.NOT_REPRODUCIBLE])
            report_dismiss(report=report, actor=owner, dismissal=Dismissal(reason))
        elif action == "reopen":
            report_reopen(report=report, actor=owner)
        elif action == "mark":
            reports_mark_past_due()
        else:
            appeal = appeal_submit(
                report=report, contact_email="r@example.net", reason="Please look again."
            )
            clock[0] += timedelta(hours=rng.choice([1, 30]))
            if rng.random() < 0.5:
                appeal_uphold(appeal=appeal, actor=owner, reply="It stands.")
            else:
                new_status = rng.choice(
                    [s for s in Status.values if s != Report.objects.get(pk=report.pk).status]
                )
                appeal_overturn(appeal=appeal, actor=owner, reply="Changed.", new_status=new_status)
    except (ReportConflict, ReportRuleError, AppealRefused):
        pass  # not allowed in the report's state: nothing changes, nothing is counted


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_the_rebuild_after_random_changes(
    seed, clock, mini_app, other_app, owner, make_report
):
    rng = random.Random(seed)
    reports: list[Report] = []
    for _ in range(120):
        _step(rng, clock, mini_app, owner, make_report, reports)
    assert len(reports) > 10
    assert figure(mini_app, HANDLED) > 0
    assert_rollups_match(mini_app)
    assert_rollups_match(other_app)  # nothing leaked into another app
    call_command("insights_rebuild", "--check")
