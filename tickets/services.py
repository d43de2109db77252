"""The intake's state changes: file a report (once), and e-mail reporters their links."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from reports.middleware import timezone_from_name
from reports.models import AddedScreenshot, MiniApp, Report, ReportEvent
from reports.reporter_mail import reporter_email_enqueue
from reports.screenshots import (
    ProcessedImage,
    ScreenshotStorageError,
    screenshot_files_kept_with_rows,
    screenshot_store,
)
from reports.services import (
    DATABASE_BUGS,
    ReportInput,
    ReportNotSaved,
    report_event_record,
    report_submit,
)
from reports.webhooks.events import EventType, report_event_emit

from .selectors import (
    information_refusal,
    report_by_submission_key,
    report_find_duplicate,
    report_for_status_link,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmitOutcome:
    report: Report
    # True when an identical earlier report was found and no new one was filed.
    duplicate: bool = False
    # True when this exact submission (same one-time token / idempotency key) was seen before.
    replayed: bool = False
    # True when the duplicate's status link went to its e-mail instead of being shown.
    link_emailed: bool = False


class InformationRefused(ValueError):
    """The report no longer takes information; the message is what the reporter reads."""


class SubmissionKeyReused(Exception):
    """The submission key (an API Idempotency-Key) already filed a report for other content;
    answering with that report would tell the client its new content was filed."""

    def __init__(self, report: Report):
        super().__init__("The submission key was used for a different report.")
        self.report = report


def report_status_path(report: Report) -> str:
    return report.reporter_path("tickets:report_status")


def ticket_replayed(
    *, mini_app: MiniApp, submission_key: str, submission_fingerprint: str = ""
) -> SubmitOutcome | None:
    """The report this submission's key already filed (a double-click, a resubmitted page, a
    retried API call), else None: the one lookup of a submission by its key, made by each
    entry point before anything else costs the reporter (the help center's rate limit).

    A key that filed other content (the stored fingerprint differs) raises
    SubmissionKeyReused; a report stored without a fingerprint matches any.
    """
    earlier = report_by_submission_key(mini_app=mini_app, submission_key=submission_key)
    return _replayed(earlier, submission_fingerprint) if earlier else None


def _replayed(earlier: Report, fingerprint: str) -> SubmitOutcome:
    if fingerprint and earlier.submission_fingerprint not in ("", fingerprint):
        raise SubmissionKeyReused(earlier)
    return SubmitOutcome(report=earlier, replayed=True)


def ticket_submit(
    *,
    mini_app: MiniApp,
    data: ReportInput,
    language: str = "",
    tz_name: str = "",
    now: datetime | None = None,
) -> SubmitOutcome:
    """File a report unless an identical one was already filed; the caller has asked
    ticket_replayed about the submission key first.

    The confirmation e-mail is queued in the same transaction as the report, so a report
    with a contact e-mail never exists without its e-mail (the outbox delivers it later if
    the broker is down), and a failure anywhere leaves neither (reports.ReportNotSaved).

    A help-center duplicate matched by the contact e-mail alone (not by the reporter's own
    signed Open ID) may have been typed by someone else: its status link is e-mailed to that
    address (outcome.link_emailed), never shown. (The signed API answers the mini app's own
    server, which is told the report either way.) Concurrent requests with one key file one
    report, and only the one that filed it is told so (replayed False).
    """
    now = now or timezone.now()
    duplicate = report_find_duplicate(mini_app=mini_app, data=data, now=now)
    if duplicate:
        link_emailed = data.source == Report.Source.HELP_CENTER and not (
            data.open_id and duplicate.open_id == data.open_id
        )
        if link_emailed:
            _reporter_email_enqueue(
                report=duplicate, template="status_link", language=language, tz_name=tz_name
            )
        return SubmitOutcome(report=duplicate, duplicate=True, link_emailed=link_emailed)

    filed = []

    def confirm(report: Report) -> None:
        # Runs only in the transaction that inserts this request's own report.
        filed.append(report.pk)
        if report.contact_email:
            report_confirmation_email_enqueue(report=report, language=language, tz_name=tz_name)

    # Inside report_submit's transaction, which also removes the stored files if it fails.
    report = report_submit(
        mini_app=mini_app,
        data=data,
        now=now,
        also=confirm,
        reporter_language=language,
        reporter_timezone=str(timezone_from_name(tz_name) or ""),
    )
    if report.pk not in filed:  # another request with the same key filed it first
        return _replayed(report, data.submission_fingerprint)
    return SubmitOutcome(report=report)


def report_confirmation_email_enqueue(*, report: Report, language: str = "", tz_name: str = ""):
    # Once per report, whoever calls (a retried request finds the row already there).
    return _reporter_email_enqueue(
        report=report,
        template="report_received",
        language=language,
        tz_name=tz_name,
        dedupe_key=f"tickets:received:{report.pk}",
    )


def report_status_link_request(
    *, mini_app: MiniApp, report_id: str, email: str, language: str = "", tz_name: str = ""
) -> None:
    """Check a report: a worker looks the report up and e-mails its status link if the ID
    and e-mail match. The request does the same work either way (one task, sent after
    commit), so its answer time tells nobody whether a report exists."""
    lookup = {"report_id": report_id, "email": email, "language": language, "tz_name": tz_name}
    transaction.on_commit(lambda: _status_link_enqueue(mini_app=mini_app, lookup=lookup))


def _status_link_enqueue(*, mini_app: MiniApp, lookup: dict) -> None:
    from .tasks import send_status_link

    try:
        send_status_link.apply_async(kwargs={"mini_app_id": mini_app.pk, **lookup}, retry=False)
    except Exception:
        # Broker unreachable: look it up here; the e-mail waits in the outbox for the sweep.
        logger.warning("Broker unavailable; status link looked up in the request")
        report_status_link_send(mini_app=mini_app, **lookup)


def report_status_link_send(
    *,
    mini_app: MiniApp,
    report_id: str,
    email: str,
    language: str = "",
    tz_name: str = "",
    dedupe_key: str = "",
) -> None:
    """E-mail the status link if the ID and e-mail match; silent either way (no probing)."""
    report = report_for_status_link(mini_app=mini_app, report_id=report_id, email=email)
    if report is None:
        return
    _reporter_email_enqueue(
        report=report,
        template="status_link",
        language=language,
        tz_name=tz_name,
        dedupe_key=dedupe_key,
    )


def _reporter_email_enqueue(
    *, report: Report, template: str, language: str, tz_name: str, dedupe_key: str = ""
):
    return reporter_email_enqueue(
        report=report,
        template=f"tickets/email/{template}",
        language=language,
        tz_name=tz_name,
        dedupe_key=dedupe_key,
    )


def report_information_add(
    *,
    report: Report,
    text: str,
    screenshots: Sequence[ProcessedImage] = (),
    now: datetime | None = None,
) -> ReportEvent:
    """The reporter adds text and screenshots to their report: a public history line, and the
    console's "Reporter replied" flag. It never reopens a decided report.

    Raises InformationRefused outside the window (reports' selectors say which), and
    ReportNotSaved when the database or the storage fails (no row, no file kept).
    """
    now = now or timezone.now()
    refusal = information_refusal(report=report, now=now)
    if refusal:
        raise InformationRefused(refusal)
    try:
        with screenshot_files_kept_with_rows() as stored, transaction.atomic():
            event = report_event_record(
                report, ReportEvent.Kind.INFORMATION_ADDED, None, now, text=text
            )
            for position, image in enumerate(screenshots):
                screenshot_store(
                    shot=AddedScreenshot(event=event, position=position), image=image, stored=stored
                )
            Report.objects.filter(pk=report.pk).update(reporter_replied_at=now)
            report_event_emit(
                report=report,
                type=EventType.REPORT_REPORTER_REPLIED,
                now=now,
                information={"text": text, "screenshots": len(screenshots)},
            )
    except (DatabaseError, ScreenshotStorageError) as error:
        if isinstance(error, DATABASE_BUGS):
            raise
        logger.exception("Added information not saved (no row, no file kept)")
        raise ReportNotSaved("The information could not be saved.") from error
    return event
