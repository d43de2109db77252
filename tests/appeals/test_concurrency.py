"""Two submissions or two decisions at the same moment: exactly one wins (PostgreSQL run)."""

import pytest

from appeals.models import Appeal
from appeals.services import AppealConflict, AppealRefused, appeal_overturn, appeal_uphold
from reports.models import OutboundEmail, ReportEvent
from tests.conftest import on_postgres, run_at_once

from .conftest import REASON

pytestmark = [pytest.mark.django_db(transaction=True)]
Kind = ReportEvent.Kind


@on_postgres
def test_simultaneous_appeals_make_one(resolved_report):
    from appeals.services import appeal_submit

    def submit():
        return appeal_submit(
            report=resolved_report, contact_email="reporter@example.net", reason=REASON
        )

    results, errors = run_at_once(submit, submit, submit)
    assert len(results) == 1
    assert len(errors) == 2 and all(isinstance(error, AppealRefused) for error in errors)
    assert Appeal.objects.count() == 1
    assert resolved_report.events.filter(kind=Kind.APPEAL_SUBMITTED).count() == 1


@on_postgres
def test_simultaneous_decisions_make_one(resolved_report, make_appeal, owner, teammate):
    appeal = make_appeal(resolved_report)

    def uphold():
        return appeal_uphold(appeal=appeal, actor=owner, reply="Stands.")

    def overturn():
        return appeal_overturn(appeal=appeal, actor=teammate, reply="No.", new_status="pending")

    results, errors = run_at_once(uphold, overturn)
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], AppealConflict)
    decided = Appeal.objects.get()
    decisions = resolved_report.events.filter(kind__in=[Kind.APPEAL_UPHELD, Kind.APPEAL_OVERTURNED])
    assert decisions.count() == 1
    assert OutboundEmail.objects.filter(dedupe_key=f"appeal_outcome:{decided.pk}").count() == 1
