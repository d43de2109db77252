"""The 72-hour promise kept by the running system: a real Celery worker and a real beat, as
separate processes on Redis (production's shape), mark reports whose deadline passes during the
test and e-mail the digest; then both stop cleanly. The same again with `make run`'s single
`worker --beat` on the embedded filesystem broker.

The processes must share the test's database. On PostgreSQL that is the test database itself
(`transaction=True` commits the rows, so other processes see them). On SQLite the test database
lives in memory, out of their reach, so the run gets its own file database (WAL, as `make run`
uses). Either way the rows are written and read by small Django scripts run against exactly
the database the worker uses, so both engines run the same test.
"""

import email
import email.policy
import os
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import redis
from django.db import connection

from tests.programs import run_json

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))
SECONDS_TO_DEADLINE = 6  # the reports fall due this long after they are filed
WAIT_LIMIT = 40  # seconds for the whole chain: beat -> mark -> digest -> delivery

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

SEED = """
from datetime import timedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from reports.models import Category, IssueType, Membership, MiniApp
from reports.services import ReportInput, report_resolve, report_submit

app = MiniApp.objects.create(name="Acme Shop", slug="acme", support_email="help@acme.example")
owner = get_user_model().objects.create_user(
    username="owner@acme.example", email="owner@acme.example", password="unused-here"
)
Membership.objects.create(mini_app=app, user=owner)
crash = IssueType.objects.get(code="experience.crash")
# One clock reading for all: the two falling due share one deadline to the microsecond, so a
# beat tick between two submissions on a slow machine cannot split them into two digests.
now = timezone.now()
window = timedelta(hours=settings.REPORT_RESPONSE_HOURS)

def file(seconds_to_deadline):
    filed = now - window + timedelta(seconds=seconds_to_deadline)
    data = ReportInput(category=Category.EXPERIENCE, issue_type=crash, details="It crashes.")
    return report_submit(mini_app=app, data=data, now=filed)

falling_due = [file(SECONDS), file(SECONDS)]
handled_in_time = file(SECONDS)
report_resolve(report=handled_in_time, actor=owner)
not_yet_due = file(3600)
result = {
    "falling_due": [r.report_id for r in falling_due],
    "due_at": falling_due[0].due_at.isoformat(),
    "untouched": [handled_in_time.report_id, not_yet_due.report_id],
    "marked_at_seed": [r.report_id for r in falling_due if r.past_due_at],
}
"""

OBSERVE = """
from reports.models import OutboundEmail, Report, ReportEvent
result = {
    report.report_id: {
        "past_due_at": report.past_due_at and report.past_due_at.isoformat(),
        "notified": report.past_due_notified_at is not None,
        "events": list(report.events.filter(kind=ReportEvent.Kind.PAST_DUE).values_list(
            "created_at", flat=True).order_by()),
    }
    for report in Report.objects.all()
}
for facts in result.values():
    facts["events"] = [when.isoformat() for when in facts["events"]]
result["outbox"] = list(OutboundEmail.objects.values("to", "sent_at", "dedupe_key"))
for row in result["outbox"]:
    row["sent_at"] = row["sent_at"] and row["sent_at"].isoformat()
"""


@dataclass
class System:
    broker: str
    env: dict[str, str]


@pytest.fixture(params=["redis", "filesystem"])
def system(request, tmp_path, catalogue) -> System:
    """The environment of every process of the run: its broker, database and var dir.

    "redis" is production's shape (a worker and a separate beat on Redis); "filesystem" is
    `make run`'s (one `worker --beat` on kombu's filesystem broker under VAR_DIR).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "EMAIL_HOST",
            "EMAIL_BACKEND",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        VAR_DIR=str(tmp_path),  # e-mails land in tmp_path/mail, beat's state file here too
        CELERY_QUEUE=f"e2e-{uuid.uuid4().hex}",  # nothing else on this Redis takes our tasks
        PAST_DUE_INTERVAL_SECONDS="1",
        SITE_URL="https://desk.example",
        PYTHONUNBUFFERED="1",
    )
    if request.param == "redis":
        if not os.environ.get("REDIS_URL"):
            pytest.fail("REDIS_URL is not set: the Celery end-to-end test needs a real Redis.")
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    if connection.vendor == "postgresql":
        database = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@"
            f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
        )
    else:
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrate.returncode == 0, migrate.stderr
    yield System(broker=request.param, env=env)
    if request.param == "redis":
        client = redis.Redis.from_url(env["REDIS_URL"])
        queue = env["CELERY_QUEUE"]
        # Whatever a stopped worker left unconsumed, and the run's exchange binding tables,
        # which kombu keeps for good (one pair per run would pile up in the test Redis DB).
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()


def run_django(env: dict[str, str], script: str, **values) -> dict:
    """Run `script` in a fresh Django process against the run's database; return `result`."""
    program = "\n".join(
        [
            "import django, json",
            "django.setup()",
            *(f"{name} = {value!r}" for name, value in values.items()),
            textwrap.dedent(script),
            "print(json.dumps(result, default=str))",
        ]
    )
    return run_json(program, env)


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [CELERY, "-A", "config", *args, "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> int | None:
    """SIGTERM (warm shutdown), then SIGKILL if it does not stop in time; None if killed."""
    if process.poll() is not None:
        return process.returncode
    process.terminate()
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def logs(tmp_path: Path) -> str:
    return "\n".join(f"{path.name}:\n{path.read_text()}" for path in sorted(tmp_path.glob("*.log")))


def delivered_emails(mail_dir: Path) -> list[email.message.EmailMessage]:
    """The messages Django's file backend wrote (each file holds one or more, with separators)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages


def test_a_running_worker_and_beat_mark_reports_as_their_deadline_passes(system, tmp_path):
    env = system.env
    seeded = run_django(env, SEED, SECONDS=SECONDS_TO_DEADLINE)
    assert seeded["marked_at_seed"] == []
    schedule = f"--schedule={tmp_path / 'beat-schedule'}"
    log = tmp_path / "celery.log"
    if system.broker == "redis":  # production: a worker, and exactly one beat beside it
        worker_args = ["--pool=solo", "--without-mingle", "--without-gossip"]
        processes = [
            start(env, log, "worker", *worker_args, f"--hostname=e2e-{uuid.uuid4().hex[:8]}@%h"),
            start(env, tmp_path / "beat.log", "beat", schedule),
        ]
    else:  # make run's line: one worker with embedded beat
        processes = [start(env, log, "worker", "--beat", "--concurrency=2", schedule)]
    try:
        deadline = time.monotonic() + WAIT_LIMIT
        messages = []
        while time.monotonic() < deadline and not messages:
            assert all(process.poll() is None for process in processes), logs(tmp_path)
            messages = delivered_emails(tmp_path / "mail")
            time.sleep(0.2)  # polling for the system's effect, not a timing assertion
    finally:
        exit_codes = [stop(process) for process in processes]
    messages = delivered_emails(tmp_path / "mail")  # read again: complete now that all stopped
    assert messages, f"no digest e-mail within {WAIT_LIMIT} s\n{logs(tmp_path)}"
    assert exit_codes[0] == 0 and None not in exit_codes, logs(tmp_path)  # stopped by SIGTERM
    assert "Sending due task mark-past-due" in logs(tmp_path)

    # The digest: one e-mail to the member, listing exactly the reports that fell due.
    [digest] = messages
    assert digest["To"] == "owner@acme.example"
    assert digest["Subject"] == "[Acme Shop] 2 reports past due: not processed within 72 hours"
    body = digest.get_body(preferencelist=("plain",)).get_content()
    for report_id in seeded["falling_due"]:
        assert f"https://desk.example/console/acme/reports/{report_id}/" in body
    for report_id in seeded["untouched"]:
        assert report_id not in body

    # The database, as the running system left it.
    state = run_django(env, OBSERVE)
    due_at = datetime.fromisoformat(seeded["due_at"])
    for report_id in seeded["falling_due"]:
        facts = state[report_id]
        assert datetime.fromisoformat(facts["past_due_at"]) >= due_at  # never before the deadline
        assert facts["events"] == [facts["past_due_at"]]  # one history row, at the mark
        assert facts["notified"]
    for report_id in seeded["untouched"]:
        assert state[report_id]["past_due_at"] is None and state[report_id]["events"] == []
    [outbox_row] = state["outbox"]
    assert outbox_row["to"] == "owner@acme.example" and outbox_row["sent_at"]
    assert outbox_row["dedupe_key"].startswith("past_due:")


SUMMARY_SEED = """
from django.contrib.auth import get_user_model
from reports.models import Category, IssueType, MemberPreferences, Membership, MiniApp
from reports.services import ReportInput, report_submit

app = MiniApp.objects.create(name="Acme Shop", slug="acme", support_email="help@acme.example")
owner = get_user_model().objects.create_user(
    username="owner@acme.example", email="owner@acme.example", password="unused-here"
)
Membership.objects.create(mini_app=app, user=owner)
# Midnight in their zone: whatever the hour of the run, today's summary is due.
MemberPreferences.objects.create(user=owner, timezone_name="Asia/Tokyo", daily_summary_hour=0)
crash = IssueType.objects.get(code="experience.crash")
data = ReportInput(category=Category.EXPERIENCE, issue_type=crash, details="It crashes.")
result = {"new": [report_submit(mini_app=app, data=data).report_id for _ in range(2)]}
"""

SUMMARY_OBSERVE = """
from reports.models import DailySummary, OutboundEmail
result = {
    "summaries": list(DailySummary.objects.values_list("timezone_name", flat=True)),
    "outbox": list(OutboundEmail.objects.values_list("dedupe_key", flat=True)),
}
"""


@pytest.mark.parametrize("system", ["redis"], indirect=True)
def test_a_running_worker_and_beat_send_the_daily_summary_once(system, tmp_path):
    env = {**system.env, "DAILY_SUMMARY_INTERVAL_SECONDS": "1"}
    run_django(env, SUMMARY_SEED)
    schedule = f"--schedule={tmp_path / 'beat-schedule'}"
    worker_args = ["--pool=solo", "--without-mingle", "--without-gossip"]
    processes = [
        start(
            env,
            tmp_path / "celery.log",
            "worker",
            *worker_args,
            f"--hostname=e2e-{uuid.uuid4().hex[:8]}@%h",
        ),
        start(env, tmp_path / "beat.log", "beat", schedule),
    ]
    try:
        deadline = time.monotonic() + WAIT_LIMIT
        messages = []
        while time.monotonic() < deadline and not messages:
            assert all(process.poll() is None for process in processes), logs(tmp_path)
            messages = delivered_emails(tmp_path / "mail")
            time.sleep(0.2)  # polling for the system's effect, not a timing assertion
        # Beat keeps running it every second: a few more runs must send nothing more.
        ran = logs(tmp_path).count("Sending due task send-daily-summaries")
        while time.monotonic() < deadline and (
            logs(tmp_path).count("Sending due task send-daily-summaries") < ran + 3
        ):
            time.sleep(0.2)
    finally:
        exit_codes = [stop(process) for process in processes]
    messages = delivered_emails(tmp_path / "mail")
    assert messages, f"no summary e-mail within {WAIT_LIMIT} s\n{logs(tmp_path)}"
    assert None not in exit_codes, logs(tmp_path)
    [summary] = messages  # one, however many runs
    assert summary["To"] == "owner@acme.example"
    assert summary["Subject"].startswith("Reportdesk daily summary for ")
    body = summary.get_body(preferencelist=("plain",)).get_content()
    assert "- New in the last 24 hours: 2\n" in body and "(Asia/Tokyo)" in body
    assert "https://desk.example/console/acme/reports/?created_after=" in body
    state = run_django(env, SUMMARY_OBSERVE)
    assert state["summaries"] == ["Asia/Tokyo"]
    [key] = state["outbox"]
    assert key.startswith("daily_summary:")


WEBHOOK_SEED = """
from reports.models import Category, IssueType, MiniApp
from reports.services import ReportInput, report_submit
from reports.webhooks.models import WebhookEndpoint

app = MiniApp.objects.create(name="Acme Shop", slug="acme")
endpoint = WebhookEndpoint.objects.create(mini_app=app, url=URL, event_types=["report.created"])
crash = IssueType.objects.get(code="experience.crash")
data = ReportInput(category=Category.EXPERIENCE, issue_type=crash, details="Worker webhook.")
# Committed here, in another process: the delivery task goes to the worker's broker.
report = report_submit(mini_app=app, data=data)
result = {"report_id": report.report_id, "secret": endpoint.secret}
"""


def test_a_running_worker_delivers_a_webhook(system, tmp_path):
    """report.created written with the report, sent after commit to the broker, POSTed by a
    real worker to a receiver on loopback, and verified with the standardwebhooks package."""
    from standardwebhooks.webhooks import Webhook

    from tests.reports.webhooks.receiver import Receiver

    env = system.env
    receiver = Receiver()
    worker_args = ["--pool=solo", "--without-mingle", "--without-gossip"]
    worker = start(env, tmp_path / "celery.log", "worker", *worker_args)
    try:
        seeded = run_django(env, WEBHOOK_SEED, URL=receiver.url)
        received = receiver.wait_for(1, timeout=WAIT_LIMIT)
    finally:
        exit_code = stop(worker)
        receiver.close()
    assert received, f"no webhook within {WAIT_LIMIT} s\n{logs(tmp_path)}"
    assert exit_code == 0, logs(tmp_path)
    (request,) = received
    payload = Webhook(seeded["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "report.created"
    assert payload["data"]["report_id"] == seeded["report_id"]
    state = run_django(
        env,
        "from reports.webhooks.models import WebhookDelivery\n"
        "result = list(WebhookDelivery.objects.values_list('status', 'attempts'))",
    )
    assert state == [["delivered", 1]]
