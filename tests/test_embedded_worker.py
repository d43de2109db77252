"""`make run`'s worker with embedded beat on the filesystem broker (no Redis) stays up for
minutes under a stream of submissions, and every confirmation e-mail goes out promptly.

Beat ticks every second (two entries each time) and submissions come in bursts, so messages
are written while the worker reads. With kombu's stock transport polling once a second, the
worker (two tasks in flight at most) fell behind: 380 of 652 e-mails were still unsent 25 s
after the last submission. The half-written-message race that killed the worker ("Unrecoverable
error: JSONDecodeError") is proven by tests/test_filesystem_broker.py; here the worker log must
show neither it nor a message set aside.
"""

import subprocess
import sys
import textwrap
import time

import pytest

from tests.test_celery_e2e import ROOT, delivered_emails, logs, run_django, start, stop
from tests.test_celery_e2e import system as system  # noqa: F401  (the fixture)

SUBMITTING_SECONDS = 120
BURST = 4  # submissions in a row, each publishing its e-mail's task at once
PAUSE_SECONDS = 0.7
DELIVERY_LIMIT = 25  # seconds after the last submission; the outbox sweep would need 30+

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

SUBMIT = """
import time
from reports.models import Category, IssueType, MiniApp
from reports.services import ReportInput
from tickets.services import ticket_submit

app = MiniApp.objects.create(name="Acme Shop", slug="acme", support_email="help@acme.example")
crash = IssueType.objects.get(code="experience.crash")
deadline = time.monotonic() + SECONDS
submitted = 0
while time.monotonic() < deadline:
    for _ in range(BURST):
        data = ReportInput(
            category=Category.EXPERIENCE,
            issue_type=crash,
            details=f"The app crashes on screen {submitted}.",
            contact_email=f"reporter{submitted}@example.com",
        )
        ticket_submit(mini_app=app, data=data)
        submitted += 1
    time.sleep(PAUSE)
print(submitted)
"""

OUTBOX = """
from reports.models import OutboundEmail
result = {
    "queued": OutboundEmail.objects.count(),
    "unsent": OutboundEmail.objects.filter(sent_at__isnull=True).count(),
}
"""


@pytest.mark.timeout(SUBMITTING_SECONDS + 240)
@pytest.mark.parametrize("system", ["filesystem"], indirect=True)
def test_the_embedded_worker_stays_up_and_sends_every_email_for_minutes(system, tmp_path):
    env = {**system.env, "PAST_DUE_INTERVAL_SECONDS": "1"}
    assert "REDIS_URL" not in env
    worker = start(
        env,
        tmp_path / "worker.log",
        "worker",
        "--beat",
        "--concurrency=2",
        f"--schedule={tmp_path / 'beat-schedule'}",
    )
    submitter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django; django.setup()\n"
            f"SECONDS, BURST, PAUSE = {SUBMITTING_SECONDS}, {BURST}, {PAUSE_SECONDS}\n"
            + textwrap.dedent(SUBMIT),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "submitter.log").open("w"),
        text=True,
    )
    try:
        while submitter.poll() is None:
            assert worker.poll() is None, logs(tmp_path)  # still up, all along
            time.sleep(1)  # watching the worker while the submissions run
        assert submitter.returncode == 0, (tmp_path / "submitter.log").read_text()
        submitted = int(submitter.stdout.read().strip())
        deadline = time.monotonic() + DELIVERY_LIMIT
        outbox = run_django(env, OUTBOX)
        while outbox["unsent"] and time.monotonic() < deadline:
            assert worker.poll() is None, logs(tmp_path)
            time.sleep(1)  # polling for the last deliveries
            outbox = run_django(env, OUTBOX)
        assert worker.poll() is None, logs(tmp_path)
    finally:
        if submitter.poll() is None:
            submitter.kill()
            submitter.wait()
        exit_code = stop(worker)
    assert submitted >= SUBMITTING_SECONDS  # a real stream: well over one a second
    assert outbox == {"queued": submitted, "unsent": 0}, logs(tmp_path)
    recipients = {message["To"] for message in delivered_emails(tmp_path / "mail")}
    assert recipients == {f"reporter{number}@example.com" for number in range(submitted)}
    log = logs(tmp_path)
    assert "Unrecoverable error" not in log and "unreadable" not in log, log
    assert log.count("Sending due task mark-past-due") >= SUBMITTING_SECONDS // 2  # beat ticked
    assert exit_code == 0, log
