"""A Celery worker killed (SIGKILL) in the middle of a task: the task is redone, once.

Tasks are acks_late on Redis: a message a dead worker took but never acknowledged goes back
on the queue after the visibility timeout (CELERY_VISIBILITY_TIMEOUT, a few seconds here) and
the next worker runs it. What these tests prove is that the second run does the work exactly
once, because the first run's transaction died with its worker:

- the past-due job, killed while it waits for the marking lock (held here by the test),
  leaves no mark; the new worker marks each report once, with one history row and one digest;
- an e-mail task, killed while the SMTP server (a small one on loopback, started here) has
  the message but has not yet accepted it, leaves the outbox row unsent; the new worker sends
  the e-mail, which the server accepts exactly once.

The at-least-once window is not covered because it is not closed: a worker killed after the
SMTP server accepted a message but before the outbox row's sent_at is committed sends that
e-mail again on redelivery (see reports.outbox.email_deliver).
"""

import json
import os
import signal
import socketserver
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection

from tests import test_celery_e2e as e2e

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 3  # seconds before a dead worker's task is handed out again
WAIT_LIMIT = 30

# The Redis "system" of the end-to-end test: its database, queue and environment.
system = e2e.system
on_redis = pytest.mark.parametrize("system", ["redis"], indirect=True)


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """A worker in its own process group, so the test can kill all of it at once."""
    return subprocess.Popen(
        [
            e2e.CELERY,
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
            f"--hostname=faults-{uuid.uuid4().hex[:8]}@%h",
        ],
        cwd=e2e.ROOT,
        env={**env, "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_worker(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGKILL)  # no warm shutdown, no chance to ack or requeue
    worker.wait()


def wait_for(condition, what: str, tmp_path: Path):
    deadline = time.monotonic() + WAIT_LIMIT
    while not (result := condition()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}\n{e2e.logs(tmp_path)}"
        time.sleep(0.1)  # polling for an effect of other processes, not a timing assertion
    return result


def left_in_redis(env: dict[str, str]) -> int:
    """Messages of this run's queue still queued or taken but unacknowledged."""
    client = redis.Redis.from_url(env["REDIS_URL"])
    try:
        unacked = [json.loads(value)[2] for value in client.hvals("unacked")]
        return client.llen(env["CELERY_QUEUE"]) + unacked.count(env["CELERY_QUEUE"])
    finally:
        client.close()


# --- The past-due job


class MarkingLock:
    """Holds what the past-due job must take before it marks: on PostgreSQL its advisory
    lock, on SQLite the database's write lock (the job opens its transaction with BEGIN
    IMMEDIATE). Held from the test's own connection, so the job blocks mid-run."""

    def __init__(self, env: dict[str, str]):
        if connection.vendor == "postgresql":
            from reports.services import _PAST_DUE_LOCK

            self.db = psycopg.connect(env["DATABASE_URL"], autocommit=True)
            self.db.execute("SELECT pg_advisory_lock(%s)", [_PAST_DUE_LOCK])
        else:
            self.db = sqlite3.connect(
                Path(env["VAR_DIR"]) / "reportdesk.sqlite3", isolation_level=None
            )
            self.db.execute("BEGIN IMMEDIATE")

    def someone_waits(self) -> bool:
        if connection.vendor != "postgresql":
            return True  # SQLite shows no waiters; the job cannot commit while we hold it
        row = self.db.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()
        return row[0] > 0

    def release(self) -> None:
        self.db.close()  # ends the session (PostgreSQL) or the transaction (SQLite)


ENQUEUE_MARK = """
from reports.tasks import mark_past_due
result = {"task_id": mark_past_due.delay().id}
"""


@on_redis
def test_a_killed_past_due_run_is_redone_once(system, tmp_path):
    env = system.env
    seeded = e2e.run_django(env, e2e.SEED, SECONDS=-60)  # two reports already past due
    lock = MarkingLock(env)
    try:
        task_id = e2e.run_django(env, ENQUEUE_MARK)["task_id"]
        first = start_worker(env, tmp_path / "worker-1.log")
        try:
            received = f"reports.tasks.mark_past_due[{task_id}] received"
            wait_for(
                lambda: received in (tmp_path / "worker-1.log").read_text(), received, tmp_path
            )
            taken_at = time.monotonic()
            wait_for(lock.someone_waits, "the job to wait for the marking lock", tmp_path)
        finally:
            kill_worker(first)
    finally:
        lock.release()
    killed_run = e2e.run_django(env, e2e.OBSERVE)
    assert all(killed_run[r]["past_due_at"] is None for r in seeded["falling_due"])

    time.sleep(max(0.0, taken_at + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
    second = start_worker(env, tmp_path / "worker-2.log")
    try:
        wait_for(lambda: e2e.delivered_emails(tmp_path / "mail"), "the digest", tmp_path)
    finally:
        assert e2e.stop(second) == 0, e2e.logs(tmp_path)  # warm shutdown after its work

    assert received in (tmp_path / "worker-2.log").read_text()  # the same task, redelivered
    state = e2e.run_django(env, e2e.OBSERVE)
    for report_id in seeded["falling_due"]:
        assert state[report_id]["past_due_at"] is not None
        assert state[report_id]["events"] == [state[report_id]["past_due_at"]]  # one row
    for report_id in seeded["untouched"]:
        assert state[report_id]["past_due_at"] is None
    [digest] = e2e.delivered_emails(tmp_path / "mail")
    assert digest["Subject"] == "[Acme Shop] 2 reports past due: not processed within 72 hours"
    assert [row["sent_at"] is not None for row in state["outbox"]] == [True]
    assert left_in_redis(env) == 0


# --- An e-mail task


class StallingSmtpServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP for Django's backend. The first message it receives is never
    answered: the server holds it until the client goes away, then drops it, as a real
    server does with a message it has not accepted (replied 250 to)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.accepted: list[bytes] = []
        self.stall_next = True
        self.stalled = threading.Event()
        self.dropped = threading.Event()


class SmtpSession(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: StallingSmtpServer = self.server
        self.reply("220 faults.test ESMTP")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                message = b"".join(iter(self.rfile.readline, b".\r\n"))
                if server.stall_next:
                    server.stall_next = False
                    server.stalled.set()
                    self.rfile.read()  # until the client's connection closes
                    server.dropped.set()
                    return
                server.accepted.append(message)
                self.reply("250 OK: queued")
            elif command == b"QUIT":
                self.reply("221 Bye")
                return
            else:  # EHLO, MAIL FROM, RCPT TO, RSET, NOOP
                self.reply("250 OK")


@pytest.fixture
def smtp_server():
    server = StallingSmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


ENQUEUE_EMAIL = """
from django.db import transaction
from reports.outbox import email_enqueue
with transaction.atomic():
    email = email_enqueue(to="ana@example.net", subject="Report received", body="Thanks.")
result = {"id": email.pk}
"""

OUTBOX_ROW = """
from reports.models import OutboundEmail
row = OutboundEmail.objects.get(pk=email_id)
result = {"sent": row.sent_at is not None, "attempts": row.attempts}
"""


@on_redis
def test_a_killed_email_task_sends_the_email_once(system, tmp_path, smtp_server):
    env = {
        **system.env,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.server_address[1]),
        "EMAIL_USE_TLS": "false",
    }
    email_id = e2e.run_django(env, ENQUEUE_EMAIL)["id"]  # queued after commit, as in production

    first = start_worker(env, tmp_path / "worker-1.log")
    try:
        assert smtp_server.stalled.wait(WAIT_LIMIT), e2e.logs(tmp_path)
        taken_at = time.monotonic()
    finally:
        kill_worker(first)
    assert smtp_server.dropped.wait(10)  # the server saw the client die, message not accepted
    assert smtp_server.accepted == []
    assert e2e.run_django(env, OUTBOX_ROW, email_id=email_id) == {"sent": False, "attempts": 0}

    time.sleep(max(0.0, taken_at + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
    second = start_worker(env, tmp_path / "worker-2.log")
    try:
        wait_for(lambda: smtp_server.accepted, "the e-mail to be sent again", tmp_path)
        wait_for(
            lambda: e2e.run_django(env, OUTBOX_ROW, email_id=email_id)["sent"],
            "the outbox row to be marked sent",
            tmp_path,
        )
    finally:
        assert e2e.stop(second) == 0, e2e.logs(tmp_path)

    [message] = smtp_server.accepted
    assert b"To: ana@example.net" in message and b"Subject: Report received" in message
    assert e2e.run_django(env, OUTBOX_ROW, email_id=email_id) == {"sent": True, "attempts": 1}
    assert left_in_redis(env) == 0
    assert "reports.tasks.deliver_email" in (tmp_path / "worker-2.log").read_text()
