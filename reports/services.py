"""Every state change of a report, each writing its history event in the same transaction.

Views, the API, admin actions and Celery tasks all call these: one rule, one place.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
    connection,
    models,
    router,
    transaction,
)
from django.db.models import F
from django.db.models.deletion import Collector
from django.utils import timezone

from .insights import received_counts, report_decision_counts, rollup_add
from .insights.rollups import PAST_DUE, hour_of
from .models import (
    ApiKey,
    AppEvent,
    Category,
    DismissReason,
    InsightRollup,
    IssueType,
    MemberRole,
    Membership,
    MiniApp,
    Report,
    ReportEvent,
    SavedReply,
    SavedView,
    Screenshot,
    Status,
    member_name,
)
from .reporter_mail import reporter_email_enqueue
from .roles import (
    HANDLING_ROLES,
    MANAGING_ROLES,
    RoleRequired,
    api_key_handle_require,
    role_require,
)
from .screenshots import (
    ProcessedImage,
    ScreenshotStorageError,
    screenshot_files_kept_with_rows,
    screenshot_store,
    screenshots_delete_files,
)
from .timeformat import when_zone_text
from .webhooks.events import EventType, events_emit_past_due, report_event_emit

Kind = ReportEvent.Kind
logger = logging.getLogger(__name__)


class ReportConflict(Exception):
    """The report changed since the caller looked at it; `current` is how it is now."""

    def __init__(self, current: Report, message: str):
        super().__init__(message)
        self.current = current
        self.message = message


class ReportRuleError(ValueError):
    """The change is not allowed in the report's current state (e.g. reopening a pending one),
    or its input breaks a rule (`field` names it: a duplicate_of of another app...)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# Database errors that are bugs (bad SQL, a value a column cannot hold), not outages: they stay
# 500s to be fixed, rather than telling the reporter to send again what can never be saved.
DATABASE_BUGS = (DataError, ProgrammingError, NotSupportedError)


class ReportNotSaved(Exception):
    """The database or the file storage failed mid-submission: nothing was kept, no row and
    no file, so the reporter can simply send the report again."""


@dataclass(frozen=True)
class ReportInput:
    """What a reporter submits and through which door, already validated by a form or the API
    (tickets.forms.ReportForm.report_input builds it for both)."""

    category: str
    issue_type: IssueType
    details: str = ""
    order_id: str = ""
    contact_email: str = ""
    open_id: str = ""
    screenshots: Sequence[ProcessedImage] = ()
    source: str = Report.Source.HELP_CENTER
    # The one-time form token or "api:<Idempotency-Key>"; "" files without one.
    submission_key: str = ""
    # A hash of the API request's content, to tell a retry from a reused key.
    submission_fingerprint: str = ""


def report_submit(
    *,
    mini_app: MiniApp,
    data: ReportInput,
    now: datetime | None = None,
    also: Callable[[Report], object] | None = None,
    reporter_language: str = "",
    reporter_timezone: str = "",
) -> Report:
    """File a report with its screenshots and its "received" event, all or nothing.

    `also(report)` runs in the same transaction (the intake queues its confirmation e-mail
    there), so its rows, too, exist only with the report, and the files only with the rows.
    A submission_key that already filed a report (a double-click, a resubmitted form, a
    retried API call, a concurrent twin) returns that report instead of a second one: the
    unique constraint refuses the second row, and only then is the key looked up. The intake
    looks the key up once before it gets here (tickets.services.ticket_replayed).

    Raises ReportNotSaved when the database or the storage fails; nothing is left behind.
    """
    if data.issue_type.category != data.category:
        raise ReportRuleError("The issue type does not belong to the report's category.")
    created_at = now or timezone.now()
    for attempt in range(3):
        try:
            # The transaction rolls the rows back; this removes the files it stored with them.
            with screenshot_files_kept_with_rows() as stored_files:
                return _create_report(
                    mini_app=mini_app,
                    data=data,
                    created_at=created_at,
                    stored_files=stored_files,
                    also=also,
                    reporter=(reporter_language[:10], reporter_timezone[:64]),
                )
        except IntegrityError:
            # Another submission with the same key filed first: answer with its report.
            twin = data.submission_key and (
                Report.objects.filter(mini_app=mini_app, submission_key=data.submission_key).first()
            )
            if twin:
                return twin
            # Otherwise the random report ID collided (vanishingly rare): draw another.
            if attempt == 2:
                raise
        except (DatabaseError, ScreenshotStorageError) as error:
            # The transaction rolled the rows back (or the connection died with them).
            if isinstance(error, DATABASE_BUGS):
                raise
            logger.exception("Report not saved (no row, no file kept)")
            raise ReportNotSaved("The report could not be saved.") from error
    raise AssertionError("unreachable")


@transaction.atomic
def _create_report(*, mini_app, data, created_at, stored_files, also, reporter) -> Report:
    report = Report.objects.create(
        mini_app=mini_app,
        category=data.category,
        issue_type=data.issue_type,
        details=data.details if data.category != Category.COMMUNITY else "",
        order_id=data.order_id if data.category == Category.PAYMENT else "",
        contact_email=data.contact_email,
        open_id=data.open_id,
        source=data.source,
        created_at=created_at,
        due_at=Report.due_from(created_at),
        submission_key=data.submission_key,
        submission_fingerprint=data.submission_fingerprint,
        reporter_language=reporter[0],
        reporter_timezone=reporter[1],
    )
    for position, image in enumerate(data.screenshots):
        screenshot_store(
            shot=Screenshot(report=report, position=position), image=image, stored=stored_files
        )
    ReportEvent.objects.create(report=report, kind=Kind.SUBMITTED, created_at=created_at)
    rollup_add(
        mini_app_id=mini_app.pk,
        counts=received_counts(
            created_at=created_at,
            category=report.category,
            issue_type=report.issue_type_id,
            source=report.source,
        ),
    )
    if also is not None:
        also(report)
    report_event_emit(report=report, type=EventType.REPORT_CREATED, now=created_at)
    return report


def records_delete(*, queryset: models.QuerySet) -> int:
    """Delete rows with everything that cascades from them (an appeal's screenshots...) and,
    once that commits, the files their FileFields name: a plain delete would leave every
    screenshot in storage for good. Returns the number of rows deleted."""
    with transaction.atomic():
        collector = Collector(using=router.db_for_write(queryset.model))
        collector.collect(queryset)
        names = []
        for model, rows in collector.data.items():
            fields = [f.name for f in model._meta.fields if isinstance(f, models.FileField)]
            names += [getattr(row, name).name for row in rows for name in fields]
        for fast in collector.fast_deletes:  # cascades Django deletes without loading the rows
            fields = [f.name for f in fast.model._meta.fields if isinstance(f, models.FileField)]
            if fields:
                names += [name for row in fast.values_list(*fields) for name in row]
        deleted, _ = collector.delete()
        transaction.on_commit(lambda: screenshots_delete_files([n for n in names if n]))
    return deleted


def app_event_record(
    *, mini_app: MiniApp, kind: str, actor: AbstractBaseUser | None, **data
) -> AppEvent:
    """One line of the app's audit log; call it inside the change's own transaction."""
    return AppEvent.objects.create(mini_app=mini_app, kind=kind, actor=actor, data=data)


def report_event_record(report: Report, kind: str, actor, now: datetime, **data) -> ReportEvent:
    """One line of a report's history; appeals writes the report's history through this too."""
    return ReportEvent.objects.create(
        report=report, kind=kind, actor=actor, created_at=now, data=data
    )


def _change(
    *,
    report: Report,
    expected_version: int | None,
    changes: dict,
    allowed_from: Sequence[str] | None,
) -> Report:
    """Apply `changes` to the report only if it is still as the caller saw it.

    One conditional UPDATE: two developers acting at once can never both win.
    """
    query = Report.objects.filter(pk=report.pk)
    if expected_version is not None:
        query = query.filter(version=expected_version)
    if allowed_from is not None:
        query = query.filter(status__in=allowed_from)
    updated = query.update(version=F("version") + 1, **changes)
    current = Report.objects.select_related("handled_by").get(pk=report.pk)
    if updated != 1:
        raise ReportConflict(current, _conflict_message(current, expected_version))
    return current


def _conflict_message(current: Report, expected_version: int | None) -> str:
    if current.is_handled:
        who = current.handled_by.get_username() if current.handled_by else "someone"
        when = when_zone_text(current.handled_at)
        status = current.get_status_display().lower()
        return f"This report was already {status} by {who} at {when}."
    if expected_version is not None and current.version != expected_version:
        return (
            "This report was changed by someone else since you opened it. "
            "Review the current state and try again."
        )
    return "This report is still pending."


def _via(api_key: ApiKey | None) -> dict:
    """What a history line records of the API key that made the change (never its secret)."""
    return {"api_key": api_key.prefix, "api_key_name": api_key.name} if api_key else {}


REPLY_MAX_LENGTH = 5000
REASON_TEXT_MAX_LENGTH = 500


@dataclass(frozen=True)
class Dismissal:
    """Why a report is dismissed, as the reporter is told: one of DismissReason, with the
    other report's ID for a duplicate, or the team's own words for Other."""

    reason: str
    text: str = ""
    duplicate_of: str = ""


def _reply_text(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > REPLY_MAX_LENGTH:
        raise ReportRuleError(
            f"A reply can be at most {REPLY_MAX_LENGTH:,} characters.", field="reply"
        )
    return text


def _dismissal_fields(report: Report, dismissal: Dismissal | None) -> dict:
    """The report's reason columns for this dismissal; ReportRuleError if it is not one."""
    if dismissal is None or dismissal.reason not in DismissReason.values:
        raise ReportRuleError(
            "Choose why the report is dismissed: the reporter is told.", field="reason"
        )
    text = dismissal.text.strip() if dismissal.reason == DismissReason.OTHER else ""
    if dismissal.reason == DismissReason.OTHER and not text:
        raise ReportRuleError("Write the reason for Other: the reporter reads it.", "reason_text")
    if len(text) > REASON_TEXT_MAX_LENGTH:
        raise ReportRuleError(
            f"The reason can be at most {REASON_TEXT_MAX_LENGTH} characters.", "reason_text"
        )
    duplicate_of = ""
    if dismissal.reason == DismissReason.DUPLICATE:
        duplicate_of = dismissal.duplicate_of.strip().upper()
        if not duplicate_of:
            raise ReportRuleError("Give the ID of the report this one duplicates.", "duplicate_of")
        if duplicate_of == report.report_id:
            raise ReportRuleError("A report cannot be a duplicate of itself.", "duplicate_of")
        same_app = Report.objects.filter(mini_app_id=report.mini_app_id, report_id=duplicate_of)
        if not duplicate_of.isalnum() or not same_app.exists():
            raise ReportRuleError(
                f"{duplicate_of[:16]} is not a report of this mini app. "
                "Give the ID of the report this one duplicates.",
                "duplicate_of",
            )
    return {
        "dismiss_reason": dismissal.reason,
        "dismiss_reason_text": text,
        "duplicate_of": duplicate_of,
    }


def _handle(
    *,
    report: Report,
    actor,
    status: str,
    kind: str,
    notes: str | None,
    expected_version,
    api_key: ApiKey | None = None,
    reply: str = "",
    dismissal: Dismissal | None = None,
) -> Report:
    role_require(actor=actor, mini_app_id=report.mini_app_id, roles=HANDLING_ROLES)
    api_key_handle_require(api_key=api_key, mini_app_id=report.mini_app_id)
    reply = _reply_text(reply)
    now = timezone.now()
    # A decision answers what the reporter added: the list stops flagging it.
    changes = {
        "status": status,
        "handled_at": now,
        "handled_by": actor,
        "reporter_replied_at": None,
    }
    if status == Status.DISMISSED:
        changes.update(_dismissal_fields(report, dismissal))
    if notes is not None:
        changes["notes"] = notes
    with transaction.atomic():
        previous_notes = report.notes
        current = _change(
            report=report,
            expected_version=expected_version,
            changes=changes,
            allowed_from=[Status.PENDING],
        )
        rollup_add(mini_app_id=current.mini_app_id, counts=report_decision_counts(current))
        if notes is not None and notes != previous_notes:
            report_event_record(
                current, Kind.NOTES_EDITED, actor, now, notes=notes, **_via(api_key)
            )
        reason = {k: v for k, v in changes.items() if k in _REASON_FIELDS and v}
        report_event_record(
            current,
            kind,
            actor,
            now,
            status=status,
            late=current.is_past_due,
            **reason,
            **_via(api_key),
        )
        if reply:
            report_event_record(current, Kind.REPLIED, actor, now, text=reply, **_via(api_key))
        report_event_emit(
            report=current,
            type=HANDLED_EVENT_TYPES[status],
            now=now,
            **({"reply": reply} if reply else {}),
            **reason,
        )
        # One e-mail tells the decision, its reason and the reply; once per decision, whatever
        # retries (the version is the decision's own).
        reporter_email_enqueue(
            report=current,
            template="reports/email/reporter_decision",
            dedupe_key=f"reports:decision:{current.pk}:{current.version}",
            reply=reply,
            decided_at=now,
        )
    return current


_REASON_FIELDS = ("dismiss_reason", "dismiss_reason_text", "duplicate_of")
_REASON_CLEARED = dict.fromkeys(_REASON_FIELDS, "")


def report_reply(
    *,
    report: Report,
    actor: AbstractBaseUser | None,
    text: str,
    now: datetime | None = None,
    api_key: ApiKey | None = None,
) -> ReportEvent:
    """Write to the reporter: a public line of the history, shown on the status page with the
    app's name and e-mailed to the contact address. A reply is never edited; another follows.

    The report's version moves on: whoever looked at it before the reply is told it changed
    (the API answers the new version with the reply)."""
    role_require(actor=actor, mini_app_id=report.mini_app_id, roles=HANDLING_ROLES)
    api_key_handle_require(api_key=api_key, mini_app_id=report.mini_app_id)
    text = _reply_text(text)
    if not text:
        raise ReportRuleError("Write the reply before sending it.", field="reply")
    now = now or timezone.now()
    with transaction.atomic():
        event = report_event_record(report, Kind.REPLIED, actor, now, text=text, **_via(api_key))
        # Answered: the list stops flagging what the reporter added.
        Report.objects.filter(pk=report.pk).update(
            reporter_replied_at=None, version=F("version") + 1
        )
        report.refresh_from_db(fields=["reporter_replied_at", "version"])  # the event shows them
        report_event_emit(report=report, type=EventType.REPORT_REPLIED, now=now, reply=text)
        reporter_email_enqueue(
            report=report,
            template="reports/email/reporter_reply",
            dedupe_key=f"reports:reply:{event.pk}",
            reply=text,
            replied_at=now,
        )
    return event


def report_handle(
    *,
    report: Report,
    actor: AbstractBaseUser | None,
    status: str,
    notes: str | None = None,
    expected_version: int | None = None,
    api_key: ApiKey | None = None,
    reply: str = "",
    dismissal: Dismissal | None = None,
) -> Report:
    """Resolve or dismiss (`status`) a pending report; notes typed with it are saved with it.

    A dismissal needs its reason (`dismissal`, ReportRuleError without one): the reporter is
    told it, in their language, on the status page and in the decision e-mail, which also
    carries `reply` if one is written."""
    return _handle(
        report=report,
        actor=actor,
        status=status,
        kind=HANDLED_KINDS[status],
        notes=notes,
        expected_version=expected_version,
        api_key=api_key,
        reply=reply,
        dismissal=dismissal,
    )


HANDLED_KINDS = {Status.RESOLVED: Kind.RESOLVED, Status.DISMISSED: Kind.DISMISSED}
HANDLED_EVENT_TYPES = {
    Status.RESOLVED: EventType.REPORT_RESOLVED,
    Status.DISMISSED: EventType.REPORT_DISMISSED,
}
report_resolve = partial(report_handle, status=Status.RESOLVED)
report_dismiss = partial(report_handle, status=Status.DISMISSED)


def report_reopen(
    *,
    report: Report,
    actor: AbstractBaseUser | None,
    notes: str | None = None,
    expected_version: int | None = None,
) -> Report:
    """Back to Pending. The original 72-hour deadline and any past-due mark are kept:

    the promise was made at submission, and reopening must not hide that it was missed.
    Notes typed beside the button are saved in the same transaction (both or neither).
    """
    role_require(actor=actor, mini_app_id=report.mini_app_id, roles=HANDLING_ROLES)
    now = timezone.now()
    with transaction.atomic():
        decided = _decision_locked(report)
        try:
            current = _change(
                report=report,
                expected_version=expected_version,
                changes={
                    "status": Status.PENDING,
                    "handled_at": None,
                    "handled_by": None,
                    "reporter_replied_at": None,
                    **_REASON_CLEARED,
                },
                allowed_from=[Status.RESOLVED, Status.DISMISSED],
            )
        except ReportConflict as conflict:
            if not conflict.current.is_handled:
                raise ReportRuleError(
                    "Only a resolved or dismissed report can be reopened."
                ) from None
            raise
        # The insights stop counting the decision the reopen takes away.
        rollup_add(mini_app_id=current.mini_app_id, counts=report_decision_counts(decided, sign=-1))
        report_event_record(current, Kind.REOPENED, actor, now, previous_status=report.status)
        reporter_email_enqueue(
            report=current,
            template="reports/email/reporter_reopened",
            dedupe_key=f"reports:reopened:{current.pk}:{current.version}",
        )
        if notes is not None:
            current = _change(
                report=current,
                expected_version=current.version,
                changes={"notes": notes},
                allowed_from=None,
            )
            report_event_record(current, Kind.NOTES_EDITED, actor, now, notes=notes)
        report_event_emit(report=current, type=EventType.REPORT_REOPENED, now=now)
    return current


def _decision_locked(report: Report) -> Report:
    """The report's decision as stored, its row locked till the transaction ends: what a
    reopen or an overturn takes away from the insights (the caller's copy may be stale)."""
    return (
        Report.objects.select_for_update()
        .only("mini_app_id", "status", "created_at", "handled_at", "dismiss_reason", "past_due_at")
        .get(pk=report.pk)
    )


def report_notes_edit(
    *,
    report: Report,
    actor: AbstractBaseUser | None,
    notes: str,
    expected_version: int | None = None,
    api_key: ApiKey | None = None,
) -> Report:
    """Notes are editable at any time, before and after handling; each version is kept."""
    role_require(actor=actor, mini_app_id=report.mini_app_id, roles=HANDLING_ROLES)
    api_key_handle_require(api_key=api_key, mini_app_id=report.mini_app_id)
    now = timezone.now()
    with transaction.atomic():
        current = _change(
            report=report,
            expected_version=expected_version,
            changes={"notes": notes},
            allowed_from=None,
        )
        report_event_record(current, Kind.NOTES_EDITED, actor, now, notes=notes, **_via(api_key))
    return current


def reports_mark_past_due(*, now: datetime | None = None) -> int:
    """Mark every pending report whose deadline has passed; returns how many were marked.

    The mark is exact: a report due at 12:00:00 is marked by a run at 12:00:00, never by one
    at 11:59:59. A report handled in time never matches (its status is no longer pending), a
    report handled late keeps its mark, and a reopened report keeps its original deadline.

    A constant number of statements whatever the number of reports, all on the partial index
    `report_due_unmarked`; each report this run marks gets one history row in the same
    transaction (the unique constraint `event_one_past_due` is the last line of defence).
    """
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            marked_ids = _mark_past_due_postgresql(now=now)
        else:
            # SQLite: writers are serialised (BEGIN IMMEDIATE), so no other run can mark rows
            # between the UPDATE and the INSERT that finds this run's rows by their timestamp.
            due = Report.objects.filter(
                status=Status.PENDING, past_due_at__isnull=True, due_at__lte=now
            )
            # Counted before they are marked: rows marked by an earlier run given the same
            # `now` share the timestamp, and must not be counted twice.
            per_app = list(due.order_by().values_list("mini_app_id").annotate(n=models.Count("id")))
            marked = due.update(past_due_at=now)
            marked_ids = _insert_past_due_events(marked_at=now) if marked else []
            for mini_app_id, n in per_app:
                rollup_add(mini_app_id=mini_app_id, counts={(hour_of(now), PAST_DUE, ""): n})
        # report.past_due for the apps with a subscribed endpoint (one query when none has).
        events_emit_past_due(report_ids=marked_ids, now=now)
    return len(marked_ids)


# Any constant: the key of the transaction-level lock that lets one marking run at a time.
_PAST_DUE_LOCK = 72_007_200


def _mark_past_due_postgresql(*, now: datetime) -> list[int]:
    """One statement marks and records: the INSERT takes exactly the ids its UPDATE returned.

    The advisory lock queues a concurrent run (a second beat, a cron run, a redelivered task)
    behind this one; it then sees every report already marked and marks nothing. Without it
    two runs whose UPDATEs scan in different orders (index vs sequential) could deadlock.
    """
    report_table = Report._meta.db_table
    event_table = ReportEvent._meta.db_table
    rollup_table = InsightRollup._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PAST_DUE_LOCK])
        # Both inserts run whether or not the final SELECT reads them (PostgreSQL runs every
        # data-modifying WITH clause once); the insights add one past-due mark per report.
        cursor.execute(
            f"WITH marked AS ("  # noqa: S608
            f"  UPDATE {report_table} SET past_due_at = %s"
            f"  WHERE status = %s AND past_due_at IS NULL AND due_at <= %s"
            f"  RETURNING id, mini_app_id"
            f"), events AS (INSERT INTO {event_table} (report_id, kind, created_at, data) "
            f"  SELECT id, %s, %s, %s FROM marked"
            f"), rollups AS (INSERT INTO {rollup_table} (mini_app_id, hour, measure, item, n) "
            f"  SELECT mini_app_id, %s, %s, '', count(*) FROM marked GROUP BY mini_app_id"
            f"  ORDER BY mini_app_id"
            f"  ON CONFLICT (mini_app_id, hour, measure, item)"
            f"  DO UPDATE SET n = {rollup_table}.n + excluded.n"
            f") SELECT id FROM marked",
            [
                now,
                Status.PENDING.value,
                now,
                Kind.PAST_DUE.value,
                now,
                "{}",
                hour_of(now),
                PAST_DUE,
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def _insert_past_due_events(*, marked_at: datetime) -> list[int]:
    event_table = ReportEvent._meta.db_table
    report_table = Report._meta.db_table
    when = connection.ops.adapt_datetimefield_value(marked_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {event_table} (report_id, kind, created_at, data) "  # noqa: S608
            f"SELECT id, %s, %s, %s FROM {report_table} WHERE past_due_at = %s "
            # Two explicit runs given the very same `now` must not collide on the mark.
            f"ON CONFLICT DO NOTHING RETURNING report_id",
            [Kind.PAST_DUE.value, when, "{}", when],
        )
        return [row[0] for row in cursor.fetchall()]


def report_decision_change(
    *,
    report: Report,
    actor: AbstractBaseUser | None,
    status: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Report:
    """Change a handled report's decision because an appeal was overturned.

    The new status is the other decision, or Pending to handle it again. The change is
    stamped `now` (the appeal's decision time), as handled_at when it is a decision.
    """
    role_require(actor=actor, mini_app_id=report.mini_app_id, roles=HANDLING_ROLES)
    if status == report.status:
        raise ReportRuleError("The new decision must differ from the current one.")
    if status not in Status.values:
        raise ReportRuleError("Unknown status.")
    now = now or timezone.now()
    handled = status != Status.PENDING
    with transaction.atomic():
        decided = _decision_locked(report)
        try:
            current = _change(
                report=report,
                expected_version=expected_version,
                changes={
                    "status": status,
                    "handled_at": now if handled else None,
                    "handled_by": actor if handled else None,
                    # Dismissed on appeal: the appeal's reply, e-mailed with it, says why.
                    **_REASON_CLEARED,
                },
                allowed_from=[s for s in (Status.RESOLVED, Status.DISMISSED) if s != status],
            )
        except ReportConflict as conflict:
            if not conflict.current.is_handled:
                raise ReportRuleError(
                    "Only a resolved or dismissed report can be overturned."
                ) from None
            # Still handled, so "already resolved" would mislead: say what did happen.
            raise ReportConflict(
                conflict.current,
                "This report was changed by someone else since you opened it (it is now "
                f"{conflict.current.get_status_display()}). Review it and decide again.",
            ) from None
        counts = report_decision_counts(decided, sign=-1)
        counts.update(report_decision_counts(current))  # update adds (`+` would drop negatives)
        rollup_add(mini_app_id=current.mini_app_id, counts=counts)
        previous = report.status
        report_event_record(
            current, Kind.APPEAL_OVERTURNED, actor, now, previous_status=previous, status=status
        )
    return current


# --- Many at once: the console's bulk action and the admin actions

BULK_LIMIT = 500  # one request stays short; the developer repeats for more


@dataclass
class BulkResult:
    """What a bulk action did: the IDs of the reports it changed, and of those it left as
    they were, each with the reason (handled or edited by someone else meanwhile)."""

    handled: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)

    def summary(self, *, done: str, noun: str) -> tuple[str, str]:
        """The two lines a person reads: "Resolved 2 reports." and, if any, the ones left as
        they were by ID with the reason (at most 10 named)."""
        count = len(self.handled)
        handled = f"{done} {count} {noun}{'s' if count != 1 else ''}."
        if not self.conflicts:
            return handled, ""
        named = "; ".join(f"{report_id}: {why}" for report_id, why in self.conflicts[:10])
        more = len(self.conflicts) - 10
        return handled, (
            f"{len(self.conflicts)} left as they were ({named}"
            f"{f'; and {more} more' if more > 0 else ''})."
        )


REFUSALS: tuple[type[Exception], ...] = (ReportConflict, ReportRuleError)


def each_changed(
    items: Iterable,
    *,
    change: Callable[[object], object],
    report_id: Callable[[object], str],
    refusals: tuple[type[Exception], ...] = REFUSALS,
) -> BulkResult:
    """Apply `change` to each item in its own transaction: each is changed wholly or not at
    all, and one refused (`refusals`: a conflict, a rule) leaves the others to go ahead."""
    result = BulkResult()
    for item in items:
        try:
            with transaction.atomic():
                change(item)
        except refusals as error:
            result.conflicts.append((report_id(item), getattr(error, "message", str(error))))
        else:
            result.handled.append(report_id(item))
    return result


def note_appended(notes: str, note: str) -> str:
    """A bulk note is added below the existing notes, never over them."""
    return f"{notes}\n\n{note}" if notes else note


def reports_bulk_handle(
    *,
    reports: Iterable[Report],
    actor: AbstractBaseUser | None,
    status: str,
    note: str = "",
    dismissal: Dismissal | None = None,
) -> BulkResult:
    """Resolve or dismiss many reports, each through report_handle (its own history lines,
    its own check that nobody changed it since it was read)."""
    return each_changed(
        reports,
        change=lambda report: report_handle(
            report=report,
            actor=actor,
            status=status,
            notes=note_appended(report.notes, note) if note else None,
            expected_version=report.version,
            dismissal=dismissal,
        ),
        report_id=lambda report: report.report_id,
    )


# --- Saved replies


def saved_reply_save(
    *,
    mini_app: MiniApp,
    actor: AbstractBaseUser | None,
    title: str,
    body: str,
    saved_reply: SavedReply | None = None,
) -> SavedReply:
    """Create a saved reply of the app, or change one (owners and handlers)."""
    role_require(actor=actor, mini_app_id=mini_app.pk, roles=HANDLING_ROLES)
    reply = saved_reply or SavedReply(mini_app=mini_app)
    if reply.mini_app_id != mini_app.pk:
        raise ReportRuleError("This saved reply belongs to another mini app.")
    reply.title, reply.body, reply.updated_at = title, body, timezone.now()
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:
        raise ReportRuleError(
            "A saved reply with this title exists already: choose another title."
        ) from None
    return reply


def saved_reply_delete(*, saved_reply: SavedReply, actor: AbstractBaseUser | None) -> None:
    role_require(actor=actor, mini_app_id=saved_reply.mini_app_id, roles=HANDLING_ROLES)
    saved_reply.delete()


# --- Assignment


def _assignee_check(*, report: Report, assignee: AbstractBaseUser) -> None:
    """Only an active owner or handler of the report's own app can be assigned it. Call it in
    the assignment's transaction: the membership stays locked until it commits, so removing
    the member (or their handling role) waits, then unassigns this report too."""
    role = (
        Membership.objects.select_for_update(of=("self",))
        .filter(mini_app_id=report.mini_app_id, user=assignee, user__is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    name = member_name(assignee)
    if role is None:
        raise ReportRuleError(
            f"{name} is not a member of this mini app: choose a member of the team."
        )
    if role not in HANDLING_ROLES:
        raise ReportRuleError(
            f"{name} has the {MemberRole(role).label} role and cannot handle reports: "
            "assign an owner or a handler."
        )


def report_assign(
    *,
    report: Report,
    assignee: AbstractBaseUser | None,
    actor: AbstractBaseUser | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Report:
    """Assign the report to an owner or handler of its app, or to nobody (None).

    Allowed at any status; like every change it bumps the version, and a write based on an
    older one is refused (ReportConflict). Assigning to the current assignee changes nothing.
    """
    role_require(actor=actor, mini_app_id=report.mini_app_id, roles=HANDLING_ROLES)
    assignee_id = assignee.pk if assignee is not None else None
    if assignee_id == report.assignee_id and (
        expected_version is None or expected_version == report.version
    ):
        return report  # even when the assignee could no longer be chosen (account disabled)
    now = now or timezone.now()
    with transaction.atomic():
        if assignee is not None:
            _assignee_check(report=report, assignee=assignee)
        previous_id = report.assignee_id
        current = _change(
            report=report,
            expected_version=expected_version,
            changes={"assignee": assignee},
            allowed_from=None,
        )
        previous = _user_name(previous_id)
        if assignee is not None:
            report_event_record(
                current,
                Kind.ASSIGNED,
                actor,
                now,
                assignee=member_name(assignee),
                assignee_id=assignee.pk,
                **({"previous": previous} if previous else {}),
            )
        else:
            report_event_record(current, Kind.UNASSIGNED, actor, now, previous=previous)
    return current


def _user_name(user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = get_user_model().objects.filter(pk=user_id).first()
    return member_name(user) if user else ""


def reports_unassign_member(
    *, mini_app: MiniApp, user: AbstractBaseUser, actor: AbstractBaseUser | None, why: str
) -> int:
    """Unassign every report of the app assigned to `user` (removed from the team, or no longer
    a handler), each with its history line; call it inside the team change's transaction.
    Returns how many reports were unassigned. The caller has checked the actor's role."""
    now = timezone.now()
    assigned = Report.objects.filter(mini_app=mini_app, assignee=user)
    ids = list(assigned.values_list("pk", flat=True))
    if not ids:
        return 0
    Report.objects.filter(pk__in=ids, assignee=user).update(assignee=None, version=F("version") + 1)
    name = member_name(user)
    ReportEvent.objects.bulk_create(
        ReportEvent(
            report_id=pk,
            kind=Kind.UNASSIGNED,
            actor=actor,
            created_at=now,
            data={"previous": name, "why": why},
        )
        for pk in ids
    )
    return len(ids)


# --- Saved views of the User reports list

ALL_ROLES = frozenset(MemberRole.values)
SavedViewKind = AppEvent.Kind


def saved_view_save(
    *,
    mini_app: MiniApp,
    actor: AbstractBaseUser,
    name: str,
    query: str,
    shared: bool,
    saved_view: SavedView | None = None,
) -> SavedView:
    """Save the list's state (`query`, already normalised by SavedViewForm) under a name, or
    rename / (un)share one of the actor's own views. Every member may keep private views;
    sharing with the team takes a handling role. A shared view's changes are audited."""
    role_require(
        actor=actor, mini_app_id=mini_app.pk, roles=HANDLING_ROLES if shared else ALL_ROLES
    )
    view = saved_view or SavedView(mini_app=mini_app, owner=actor, query=query)
    if view.mini_app_id != mini_app.pk or view.owner_id != actor.pk:
        raise RoleRequired("Only the member who saved a view can change it.")
    was_shared, old_name = (view.shared, view.name) if view.pk else (False, "")
    view.name, view.shared = name, shared
    try:
        with transaction.atomic():
            view.save()
            _saved_view_audit(view, actor, was_shared=was_shared, old_name=old_name)
    except IntegrityError:
        raise ReportRuleError(
            f"You have a view named “{name}” already: choose another name."
        ) from None
    return view


def _saved_view_audit(view: SavedView, actor, *, was_shared: bool, old_name: str) -> None:
    facts = {"name": view.name, "query": view.query}
    if view.shared and not was_shared:
        kind = SavedViewKind.SAVED_VIEW_SHARED
    elif was_shared and not view.shared:
        kind = SavedViewKind.SAVED_VIEW_UNSHARED
    elif view.shared and old_name and old_name != view.name:
        kind, facts["before"] = SavedViewKind.SAVED_VIEW_RENAMED, old_name
    else:
        return
    app_event_record(mini_app=view.mini_app, kind=kind, actor=actor, **facts)


def saved_view_delete(*, saved_view: SavedView, actor: AbstractBaseUser) -> None:
    """Its creator deletes a view; an owner of the app may also delete a shared one."""
    mine = saved_view.owner_id == actor.pk
    if mine:
        role_require(actor=actor, mini_app_id=saved_view.mini_app_id, roles=ALL_ROLES)
    elif saved_view.shared:
        role_require(actor=actor, mini_app_id=saved_view.mini_app_id, roles=MANAGING_ROLES)
    else:
        raise RoleRequired("Only the member who saved a view can delete it.")
    with transaction.atomic():
        saved_view.delete()
        if saved_view.shared:
            app_event_record(
                mini_app=saved_view.mini_app,
                kind=SavedViewKind.SAVED_VIEW_DELETED,
                actor=actor,
                name=saved_view.name,
                query=saved_view.query,
            )
