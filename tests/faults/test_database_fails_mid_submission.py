"""The database fails in the middle of a submission: no row, no orphan file, a clear answer.

The failure is real, at the moment a row is inserted after the screenshots are stored:
on PostgreSQL a trigger makes the server terminate the request's own connection (as a
restarted or failed-over server would); on SQLite a trigger fills a database capped at its
current size, so the insert fails with SQLite's own "database or disk is full".
"""

import pytest
from django.db import DatabaseError, DataError, connection

from appeals.models import Appeal, AppealScreenshot
from reports.models import Category, OutboundEmail, Report, ReportEvent
from reports.services import report_resolve
from tests.conftest import on_postgres, stored_files
from tests.faults.submissions import (
    FORM,
    NOTHING,
    api_submit,
    appeal_fields,
    appeal_url,
    form_fields,
    nothing_saved,
)

# The connection dies on PostgreSQL: the test cannot run inside a transaction it rolls back.
pytestmark = pytest.mark.django_db(transaction=True)

# The event row comes after both screenshots are stored; the confirmation e-mail's outbox row
# comes last of all (queued by the intake inside the report's transaction).
TABLES = [ReportEvent._meta.db_table, OutboundEmail._meta.db_table]


def _install(table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION fault_lose_connection() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER fault_lose_connection BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION fault_lose_connection()"
            )
        else:
            cursor.execute("CREATE TABLE fault_ballast (filler BLOB)")
            cursor.execute(
                f"CREATE TRIGGER fault_disk_full BEFORE INSERT ON {table} "  # noqa: S608
                "BEGIN INSERT INTO fault_ballast VALUES (randomblob(16000000)); END"
            )
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            # 2 MB of room (4 KB pages): the report and screenshot rows fit, the ballast not.
            cursor.execute(f"PRAGMA max_page_count = {pages + 512}")


def _remove() -> None:
    connection.close()  # dead on PostgreSQL; the next query opens a fresh one
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS fault_lose_connection() CASCADE")
        else:
            cursor.execute("PRAGMA max_page_count = 1073741823")
            cursor.execute("DROP TABLE IF EXISTS fault_ballast")
            cursor.execute("DROP TRIGGER IF EXISTS fault_disk_full")


@pytest.fixture(params=TABLES)
def failing_database(request, mini_app):
    """The database fails when a row is inserted into request.param; cleared at the end."""
    _install(request.param)
    yield request.param
    _remove()


def _the_database_really_failed(caplog, what: str = "Report") -> None:
    [record] = [r for r in caplog.records if r.getMessage().startswith(f"{what} not saved")]
    cause = record.exc_info[1]
    assert isinstance(cause, DatabaseError), cause
    expected = "terminating connection" if connection.vendor == "postgresql" else "disk is full"
    assert expected in str(cause)


def test_the_form_says_nothing_was_saved_and_a_retry_files_the_report(
    client, failing_database, media_root, caplog
):
    fields = form_fields()
    response = client.post(FORM, fields)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Your report was not sent" in page
    assert "nothing was saved. Please send it again in a minute." in page
    _the_database_really_failed(caplog)
    _remove()  # the database is back
    assert nothing_saved() == NOTHING
    assert stored_files(media_root) == set()

    # Sending the same form again (same one-time token) files it, once.
    for shot in fields["screenshots"]:
        shot.seek(0)
    retried = client.post(FORM, fields)
    assert retried.status_code == 302
    report = Report.objects.get()
    assert report.screenshots.count() == 2
    assert len(stored_files(media_root)) == 4  # two images, two thumbnails
    assert OutboundEmail.objects.filter(to="ana@example.net").count() == 1


def test_the_api_answers_503_not_saved_and_stores_nothing(
    client, mini_app, failing_database, media_root, caplog
):
    response = api_submit(client, mini_app)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.json()
    assert body["error"] == "not_saved"
    assert "nothing was stored" in body["message"]
    _the_database_really_failed(caplog)
    _remove()
    assert nothing_saved() == NOTHING
    assert stored_files(media_root) == set()


@pytest.mark.parametrize("table", TABLES)
def test_an_appeal_is_not_saved_and_the_reporter_is_told(
    client, make_report, owner, media_root, caplog, table
):
    report = make_report(Category.PAYMENT, contact_email="ana@example.net")
    report = report_resolve(report=report, actor=owner)
    before = nothing_saved()
    _install(table)
    try:
        response = client.post(appeal_url(report), appeal_fields())
    finally:
        _remove()

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Your appeal was not sent" in page
    assert "nothing was saved. Please send it again in a minute." in page
    _the_database_really_failed(caplog, "Appeal")
    assert Appeal.objects.count() == 0
    assert AppealScreenshot.objects.count() == 0
    assert nothing_saved() == before  # no event, no e-mail
    assert stored_files(media_root) == set()
    # Sent again, the appeal is filed.
    assert client.post(appeal_url(report), appeal_fields()).status_code == 302
    assert Appeal.objects.count() == 1


@on_postgres
def test_a_database_bug_stays_a_server_error_and_still_leaves_nothing(client, mini_app, media_root):
    # Not an outage (the trigger divides by zero, a DataError): telling the reporter to send
    # again would never help, so it is a 500 to fix. The rows and files still go.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION fault_bug() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM 1 / 0; RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER fault_bug BEFORE INSERT ON {ReportEvent._meta.db_table} "
            "FOR EACH ROW EXECUTE FUNCTION fault_bug()"
        )
    try:
        with pytest.raises(DataError, match="division by zero"):
            client.post(FORM, form_fields())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP FUNCTION fault_bug() CASCADE")

    assert nothing_saved() == NOTHING
    assert stored_files(media_root) == set()
