"""Load test: reporters and developers at once against gunicorn + PostgreSQL + Redis + Celery.

Everything runs on loopback and is started here: a fresh PostgreSQL database `reportdesk_load`
(migrated, three mini apps seeded with 50,000 reports, one developer account per developer
client), gunicorn with DEBUG off, a Celery worker on Redis DB 6 and an SMTP sink (a small
stdlib server in this process) to which the worker delivers the confirmation e-mails.

For --seconds (default 120), N reporter threads (--reporters, default 8) file reports through
the help-center form (page, token, POST, the confirmation page it redirects to) and the signed
JSON API, one in five with a screenshot; one in ten is sent a second time later (the same
form token or the same Idempotency-Key) and must come back as the original report. M developer
threads (--developers, default 4), each signed in, list, filter, search by word and by exact
ID, open the panel and resolve or dismiss with the version they saw; two developers on one
report give a 409, counted apart, not as an error.

Targets: no errors (a 5xx, an unexpected status, a wrong answer or a client timeout), then the
reconciliation once the worker has drained the outbox: report IDs accepted by the clients ==
reports stored during the run == confirmation e-mails received by the sink, each exactly
once; every report a developer decided whose reporter gave an address told the decision
once; every duplicate answered with its original. Exit 1 with the missed target named.

The database is dropped at the end (and recreated at the start), so every run starts from the
same seed; --keep-database leaves it for inspection. BENCH_DATABASE_URL names the server.
"""

import argparse
import contextlib
import email
import email.policy
import io
import json
import os
import random
import re
import secrets
import signal
import socket
import socketserver
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import redis
from _pg import database_url, drop_database, recreate_database
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# reports.signing reads its models: Django is set up (this process never touches a database).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()

from reports.signing import api_signature, open_id_signature  # noqa: E402

BIN = ROOT / ".venv" / "bin"
DB_NAME = "reportdesk_load"
REDIS_URL = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/6")
VAR_DIR = ROOT / "var" / "bench-load"
QUEUE = "bench-load"
# slug -> seeded reports; reporters and developers pick the first app most often.
APPS = {"load-main": 40_000, "load-b": 5_000, "load-c": 5_000}
APP_WEIGHTS = [70, 15, 15]
PASSWORD = "load-bench-password"  # noqa: S105 (the bench's throwaway accounts)
SEARCH_WORDS = ["refund", "charged twice", "spinner", "cart", "subscription", "grey"]
SCREENSHOT_SHARE, DUPLICATE_SHARE = 0.2, 0.1


# --- Measurements


@dataclass
class Kind:
    timings: list[float] = field(default_factory=list)
    errors: int = 0
    conflicts: int = 0


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kinds: dict[str, Kind] = defaultdict(Kind)
        self.problems: Counter = Counter()  # "kind: what went wrong" -> times

    def ok(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.kinds[kind].timings.append(seconds)

    def conflict(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.kinds[kind].timings.append(seconds)
            self.kinds[kind].conflicts += 1

    def error(self, kind: str, seconds: float | None, problem: str) -> None:
        """An error; None for one found after the request was already timed."""
        with self.lock:
            if seconds is not None:
                self.kinds[kind].timings.append(seconds)
            self.kinds[kind].errors += 1
            self.problems[f"{kind}: {problem}"] += 1


def timed(recorder: Recorder, kind: str, send):
    """Send one request; a response, or None after recording a transport error."""
    started = time.perf_counter()
    try:
        response = send()
    except httpx.HTTPError as error:
        recorder.error(kind, time.perf_counter() - started, type(error).__name__)
        return None, time.perf_counter() - started
    return response, time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


# --- The SMTP sink: counts the confirmation e-mails by report ID


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.lock = threading.Lock()
        self.confirmations: Counter = Counter()  # report ID -> e-mails received
        self.recipients: dict[str, str] = {}  # report ID -> To
        self.decisions: Counter = Counter()  # report ID -> "was resolved/dismissed" e-mails
        self.others: list[str] = []  # subjects of any other e-mail

    def record(self, raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        subject = str(message["Subject"] or "")
        found = re.match(r"Report received: (\w+) ", subject)
        decided = re.match(r"Your report (\w+) was (resolved|dismissed) ", subject)
        with self.lock:
            if found:
                self.confirmations[found[1]] += 1
                self.recipients[found[1]] = str(message["To"])
            elif decided:  # the decision e-mail to a reporter who gave an address
                self.decisions[decided[1]] += 1
            else:
                self.others.append(subject)

    def confirmation_count(self) -> int:
        with self.lock:
            return sum(self.confirmations.values())


class SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: no extensions, every command accepted."""

    def handle(self) -> None:
        self.wfile.write(b"220 load-bench sink\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 end with <CRLF>.<CRLF>\r\n")
                lines = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(chunk[1:] if chunk.startswith(b".") else chunk)  # dot-stuffing
                self.server.record(b"".join(lines))
                self.wfile.write(b"250 accepted\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # EHLO, HELO, MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


# --- Setup: database, processes


SETUP = """
from django.contrib.auth import get_user_model
from django.core.management import call_command
from reports.models import Membership, MiniApp
apps, developers, password = {apps!r}, {developers!r}, {password!r}
for slug, count in apps.items():
    call_command("seed_demo", "--app", slug, "--user", developers[0], "--password", password,
                 "--reports", str(count), "--seed", "7")
for username in developers[1:]:
    user = get_user_model().objects.create_user(username, username, password)
    Membership.objects.bulk_create(
        Membership(mini_app=app, user=user) for app in MiniApp.objects.all()
    )
"""


def base_environment() -> dict:
    env = {**os.environ, "DATABASE_URL": database_url(DB_NAME), "VAR_DIR": str(VAR_DIR)}
    env |= {"LOG_LEVEL": "WARNING", "REDIS_URL": REDIS_URL, "CELERY_QUEUE": QUEUE}
    return env


def prepare_database(developers: list[str]) -> None:
    started = time.monotonic()
    recreate_database(DB_NAME)
    env = {**base_environment(), "DEBUG": "true"}
    subprocess.run(
        [BIN / "python", "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    code = SETUP.format(apps=APPS, developers=developers, password=PASSWORD)
    subprocess.run(
        [BIN / "python", "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with psycopg.connect(database_url(DB_NAME), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    total = sum(APPS.values())
    print(
        f"Database {DB_NAME}: {total:,} reports in {len(APPS)} apps, {len(developers)} "
        f"developers; set up in {time.monotonic() - started:.0f} s."
    )


@dataclass
class Fixtures:
    secrets: dict[str, str]  # slug -> signing secret
    issue_types: dict[str, list[str]]  # category -> codes
    pending: dict[str, list[str]]  # slug -> seeded pending report IDs
    seeded_ids: dict[str, list[str]]  # slug -> seeded report IDs to search for
    baseline_report: int
    baseline_email: int


def read_fixtures() -> Fixtures:
    with psycopg.connect(database_url(DB_NAME)) as conn:
        apps = dict(conn.execute("SELECT slug, signing_secret FROM reports_miniapp").fetchall())
        issue_types = defaultdict(list)
        for code, category in conn.execute("SELECT code, category FROM reports_issuetype"):
            issue_types[category].append(code)
        pending, seeded = {}, {}
        for slug in apps:
            rows = conn.execute(
                "SELECT r.report_id, r.status FROM reports_report r JOIN reports_miniapp m "
                "ON m.id = r.mini_app_id WHERE m.slug = %s AND r.id %% 7 = 0 LIMIT 3000",
                [slug],
            ).fetchall()
            pending[slug] = [rid for rid, status in rows if status == "pending"]
            seeded[slug] = [rid for rid, _ in rows]
        max_report = conn.execute("SELECT COALESCE(MAX(id), 0) FROM reports_report").fetchone()
        max_email = conn.execute(
            "SELECT COALESCE(MAX(id), 0) FROM reports_outboundemail"
        ).fetchone()
    return Fixtures(apps, dict(issue_types), pending, seeded, max_report[0], max_email[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {VAR_DIR}/*.log")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def start(command: list, env: dict, log_name: str) -> subprocess.Popen:
    # A session of its own: stopping it stops its workers too, whatever happens here.
    log = open(VAR_DIR / log_name, "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [str(part) for part in command], cwd=ROOT, env=env, stdout=log, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    process.log = log
    return process


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the leader (gunicorn and Celery shut their workers down gracefully), then
    SIGKILL to whatever is left of its process group."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):  # unless the group is gone already
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    process.log.close()


# --- Reporters


def screenshot_pool(count: int = 24) -> list[bytes]:
    rng = random.Random(3)
    pool = []
    for index in range(count):
        image = Image.new("RGB", (390, 844), (245, 246, 248))
        draw = ImageDraw.Draw(image)
        draw.rectangle([0, 0, 390, 90], fill=(rng.randrange(256), 90, rng.randrange(256)))
        draw.text((30, 140 + index * 20), f"Load bench screen {index}", fill=(30, 30, 30))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pool.append(buffer.getvalue())
    return pool


@dataclass
class Accepted:
    """What the clients were told: report ID -> (app, contact e-mail), and duplicate answers."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    reports: dict[str, tuple[str, str]] = field(default_factory=dict)
    doubled: list[str] = field(default_factory=list)  # an ID handed out for two submissions
    duplicates_sent: int = 0
    decided: set = field(default_factory=set)  # report IDs a developer resolved or dismissed
    duplicates_wrong: list[str] = field(default_factory=list)
    unhandled: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))

    def add(self, report_id: str, slug: str, contact: str) -> None:
        with self.lock:
            if report_id in self.reports:
                self.doubled.append(report_id)
            self.reports[report_id] = (slug, contact)
            self.unhandled[slug].append(report_id)


STATUS_PATH = re.compile(r"^/help/([\w-]+)/tickets/(\w+)/\?key=")


class Reporter:
    def __init__(self, number, base_url, fixtures, accepted, recorder, shots, run_tag) -> None:
        self.number, self.fixtures, self.accepted = number, fixtures, accepted
        self.recorder, self.shots, self.tag = recorder, shots, run_tag
        self.rng = random.Random(number)
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.sequence = 0
        self.resend: deque = deque()  # (not before, how to resend, original report ID)

    def run(self, deadline: float, stopping: threading.Event) -> None:
        while time.monotonic() < deadline and not stopping.is_set():
            if self.resend and self.resend[0][0] <= time.monotonic():
                _, send_again, original = self.resend.popleft()
                send_again(original)
                continue
            slug = self.rng.choices(list(APPS), APP_WEIGHTS)[0]
            with_shot = self.rng.random() < SCREENSHOT_SHARE
            self.sequence += 1
            contact = f"r{self.number}-{self.sequence}-{self.tag}@load.example"
            if self.rng.random() < 0.5:
                self.submit_form(slug, with_shot, contact)
            else:
                self.submit_api(slug, with_shot, contact)

    def report_fields(self, with_shot: bool, contact: str) -> dict:
        """A category, an issue type and fields unique to this report (never a content twin)."""
        category = (
            self.rng.choice(["community", "experience"])
            if with_shot
            else self.rng.choice(["experience", "payment"])
        )
        fields = {
            "category": category,
            "issue_type": self.rng.choice(self.fixtures.issue_types[category]),
            "contact_email": contact,
        }
        if category != "community":
            word = self.rng.choice(SEARCH_WORDS)
            fields["details"] = f"Load bench {contact}: the {word} page fails again."
        if category == "payment":
            fields["order_id"] = f"LOAD-{self.number}-{self.sequence}-{self.tag}"
        return fields

    def accept_later(self, send_again, report_id: str) -> None:
        # Later, so a client's retry gets a fresh second for its signature (replay protection).
        if self.rng.random() < DUPLICATE_SHARE:
            self.resend.append((time.monotonic() + 1.5, send_again, report_id))

    # The help-center form, as a browser sends it.

    def submit_form(self, slug: str, with_shot: bool, contact: str) -> None:
        fields = self.report_fields(with_shot, contact)
        category = fields.pop("category")
        url = f"/help/{slug}/new/{category}/"
        page, seconds = timed(self.recorder, "form page", lambda: self.client.get(url))
        if page is None:
            return
        token = re.search(r'name="submission_key" value="([^"]+)"', page.text)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if page.status_code != 200 or not token or not csrf:
            self.recorder.error("form page", seconds, f"HTTP {page.status_code}")
            return
        self.recorder.ok("form page", seconds)
        fields |= {"submission_key": token[1], "csrfmiddlewaretoken": csrf[1], "tz": "UTC"}
        if self.rng.random() < 0.5:  # arrived through a signed Open ID link
            open_id, ts = f"ou_load_{contact}", str(int(time.time()))
            secret = self.fixtures.secrets[slug]
            sig = open_id_signature(secret=secret, open_id=open_id, ts=ts)
            fields |= {"open_id": open_id, "ts": ts, "sig": sig}
        shot = self.rng.choice(self.shots) if with_shot else None
        # The CSRF cookie is Secure (DEBUG off): an HTTP client keeps it but never sends it
        # over plain HTTP, so it goes by hand, as in bench/console.py.
        cookie = {"Cookie": f"csrftoken={page.cookies.get('csrftoken', '')}"}

        def post():
            files = {"screenshots": ("screen.png", shot, "image/png")} if shot else None
            return self.client.post(url, data=fields, files=files, headers=cookie)

        def submit():
            response = post()
            if response.status_code != 302:
                return response, None
            # The jar sends the "just filed" cookie, as a browser would.
            return response, self.client.get(response.headers["location"])

        started = time.perf_counter()
        try:
            response, confirmation = submit()
        except httpx.HTTPError as error:
            self.recorder.error("form submit", time.perf_counter() - started, type(error).__name__)
            return
        seconds = time.perf_counter() - started
        found = STATUS_PATH.match(response.headers.get("location", ""))
        if not found or confirmation is None or confirmation.status_code != 200:
            status = confirmation.status_code if confirmation else response.status_code
            self.recorder.error("form submit", seconds, f"HTTP {status}")
            return
        report_id = found[2]
        if report_id not in confirmation.text or "Report received" not in confirmation.text:
            self.recorder.error("form submit", seconds, "confirmation page without the report")
            return
        self.recorder.ok("form submit", seconds)
        self.accepted.add(report_id, slug, contact)

        def send_again(original: str) -> None:
            again, seconds = timed(self.recorder, "duplicate (form token)", post)
            if again is None:
                return
            found = STATUS_PATH.match(again.headers.get("location", ""))
            answered = found[2] if found else None
            self.record_duplicate("duplicate (form token)", seconds, again, answered, original)

        self.accept_later(send_again, report_id)

    # The signed JSON API, as a mini app's server sends it.

    def submit_api(self, slug: str, with_shot: bool, contact: str) -> None:
        fields = self.report_fields(with_shot, contact) | {"open_id": f"ou_api_{contact}"}
        fields["issue_type"] = fields["issue_type"].split(".", 1)[1]  # the API's short form
        shot = self.rng.choice(self.shots) if with_shot else None
        key = secrets.token_urlsafe(16)
        secret = self.fixtures.secrets[slug]

        def post():
            url = f"/api/v1/apps/{slug}/reports"
            if shot:
                files = {"screenshots": ("screen.png", shot, "image/png")}
                request = self.client.build_request("POST", url, data=fields, files=files)
            else:
                body = json.dumps(fields).encode()
                request = self.client.build_request(
                    "POST", url, content=body, headers={"Content-Type": "application/json"}
                )
            ts = int(time.time())
            request.headers["X-Reportdesk-Timestamp"] = str(ts)
            request.headers["X-Reportdesk-Signature"] = api_signature(
                secret=secret, ts=ts, body=request.read()
            )
            request.headers["Idempotency-Key"] = key
            return self.client.send(request)

        response, seconds = timed(self.recorder, "api submit", post)
        if response is None:
            return
        report_id = response.json().get("report_id") if response.status_code == 201 else None
        if not report_id:
            self.recorder.error("api submit", seconds, f"HTTP {response.status_code}")
            return
        self.recorder.ok("api submit", seconds)
        self.accepted.add(report_id, slug, contact)

        def send_again(original: str) -> None:
            again, seconds = timed(self.recorder, "duplicate (idempotency key)", post)
            if again is None:
                return
            answered = again.json().get("report_id") if again.status_code == 200 else None
            kind = "duplicate (idempotency key)"
            self.record_duplicate(kind, seconds, again, answered, original)

        self.accept_later(send_again, report_id)

    def record_duplicate(self, kind, seconds, response, answered_id, original) -> None:
        with self.accepted.lock:
            self.accepted.duplicates_sent += 1
            if answered_id and answered_id != original:
                self.accepted.duplicates_wrong.append(f"{original} -> {answered_id}")
        if not answered_id:
            self.recorder.error(kind, seconds, f"HTTP {response.status_code}")
        else:
            self.recorder.ok(kind, seconds)


# --- Developers


class Developer:
    def __init__(self, username, base_url, fixtures, accepted, recorder, number) -> None:
        self.username, self.fixtures, self.accepted = username, fixtures, accepted
        self.recorder = recorder
        self.rng = random.Random(1000 + number)
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.originals: set[str] = set()

    def sign_in(self) -> None:
        """Cookies are Secure (DEBUG off); the bench sends them itself, as bench/console.py."""
        page = self.client.get("/accounts/login/")
        csrf = page.cookies["csrftoken"]
        response = self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Cookie": f"csrftoken={csrf}"},
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in of {self.username} failed ({response.status_code})")
        csrf = response.cookies.get("csrftoken", csrf)  # rotated at sign-in
        session = response.cookies["sessionid"]
        self.client.headers["Cookie"] = f"sessionid={session}; csrftoken={csrf}; reportdesk_tz=UTC"
        self.client.headers["X-CSRFToken"] = csrf

    def get(self, kind: str, path: str, must_contain: str = "", htmx: bool = True):
        headers = {"HX-Request": "true"} if htmx else {}
        response, seconds = timed(
            self.recorder, kind, lambda: self.client.get(path, headers=headers)
        )
        if response is None:
            return None
        if response.status_code != 200:
            self.recorder.error(kind, seconds, f"HTTP {response.status_code}")
            return None
        if must_contain and must_contain not in response.text:
            self.recorder.error(kind, seconds, "answer without the report looked for")
            return None
        self.recorder.ok(kind, seconds)
        return response

    def run(self, deadline: float, stopping: threading.Event) -> None:
        while time.monotonic() < deadline and not stopping.is_set():
            slug = self.rng.choices(list(APPS), APP_WEIGHTS)[0]
            base = f"/console/{slug}/reports/"
            self.get("list", base, htmx=False)
            category = self.rng.choice(["experience", "payment", "community"])
            self.get("filter", f"{base}?category={category}&status=pending")
            word = self.rng.choice(SEARCH_WORDS)
            self.get("search: word", f"{base}?{httpx.QueryParams(q=word)}")
            report_id = self.some_report(slug)
            self.get("search: exact ID", f"{base}?q={report_id}", must_contain=report_id)
            for _ in range(2):
                self.handle_one(slug, base)

    def some_report(self, slug: str) -> str:
        with self.accepted.lock:
            recent = [r for r, (s, _) in list(self.accepted.reports.items())[-50:] if s == slug]
        if recent and self.rng.random() < 0.5:
            return self.rng.choice(recent)
        return self.rng.choice(self.fixtures.seeded_ids[slug])

    def pick_pending(self, slug: str) -> str | None:
        # One of the newest few: two developers now and then pick the same one (a 409).
        with self.accepted.lock:
            newest = list(self.accepted.unhandled[slug])[-3:]
        if newest:
            return self.rng.choice(newest)
        pending = self.fixtures.pending[slug]
        return pending.pop() if pending else None

    def handle_one(self, slug: str, base: str) -> None:
        report_id = self.pick_pending(slug)
        if report_id is None:
            return
        panel = self.get("panel", f"{base}{report_id}/", must_contain=report_id)
        if panel is None:
            return
        version = re.search(r'name="version" value="(\d+)"', panel.text)
        if not version:
            self.recorder.error("panel", None, "no version field in the panel")
            return
        if f"{report_id}/resolve/" not in panel.text:
            self.forget(slug, report_id)  # someone handled it already: no Resolve button
            return
        action = self.rng.choice(["resolve", "resolve", "dismiss"])
        response, seconds = timed(
            self.recorder,
            "resolve / dismiss",
            lambda: self.client.post(
                f"{base}{report_id}/{action}/",
                # A dismissal tells the reporter why (ignored by resolve).
                data={
                    "version": version[1],
                    "notes": f"Handled by {self.username}.",
                    "reason": "not_reproducible",
                },
                headers={"HX-Request": "true"},
            ),
        )
        if response is None:
            return
        if response.status_code == 200:
            self.recorder.ok("resolve / dismiss", seconds)
            with self.accepted.lock:
                self.accepted.decided.add(report_id)
        elif response.status_code == 409:  # another developer got there first: expected
            self.recorder.conflict("resolve / dismiss", seconds)
        else:
            self.recorder.error("resolve / dismiss", seconds, f"HTTP {response.status_code}")
        self.forget(slug, report_id)

    def forget(self, slug: str, report_id: str) -> None:
        with self.accepted.lock:
            if report_id in self.accepted.unhandled[slug]:
                self.accepted.unhandled[slug].remove(report_id)


def run_client(client, recorder: Recorder, deadline: float, stopping: threading.Event) -> None:
    """A client's loop; a crash in the bench's own code counts as an error, never passes."""
    try:
        client.run(deadline, stopping)
    except Exception as error:
        recorder.error("client crashed", None, repr(error))
        raise
    finally:
        client.client.close()


# --- Where the CPU went: the machine is shared, so say how much of it this bench had


class CpuMeter(threading.Thread):
    """CPU seconds per part during the load, read from /proc each second (a process that exits
    between two readings loses at most its last second). PostgreSQL backends are recognised by
    their process title, which names the database."""

    def __init__(self, parts: dict[int, str]) -> None:
        super().__init__(daemon=True)
        self.parts = parts  # process group -> part
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.halt = threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")

    def machine_busy(self) -> float:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(ticks) - ticks[3] - ticks[4]) / self.tick  # all but idle and iowait

    def sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                comm, rest = (entry / "stat").read_text().rsplit(")", 1)
                fields = rest.split()
                part = self.parts.get(int(fields[2]))
                if entry.name == str(os.getpid()):
                    part = "bench clients + SMTP sink"
                backend = part is None and comm.endswith("(postgres")
                if backend and f" {DB_NAME} ".encode() in (entry / "cmdline").read_bytes():
                    part = "PostgreSQL (this database)"
            except (OSError, ValueError):
                continue
            if part:
                self.last[int(entry.name)] = (part, (int(fields[11]) + int(fields[12])) / self.tick)

    def run(self) -> None:
        self.busy_from, self.started = self.machine_busy(), time.monotonic()
        self.sample()
        self.first = {pid: seconds for pid, (_, seconds) in self.last.items()}
        while not self.halt.wait(1):
            self.sample()
        self.sample()
        self.busy = self.machine_busy() - self.busy_from
        self.elapsed = time.monotonic() - self.started

    def stop_and_print(self, requests: int) -> None:
        self.halt.set()
        self.join()
        used = Counter()
        for pid, (part, seconds) in self.last.items():
            used[part] += seconds - self.first.get(pid, 0)
        cores = os.cpu_count()
        print(f"\nCPU during the load ({cores} cores, {self.elapsed:.0f} s): cores busy on average")
        for part, seconds in sorted(used.items()):
            print(f"  {part:34} {seconds / self.elapsed:5.2f}")
        print(f"  {'everything else on the machine':34} "
              f"{(self.busy - sum(used.values())) / self.elapsed:5.2f}")  # fmt: skip
        print(f"  {'the whole machine':34} {self.busy / self.elapsed:5.2f} of {cores}")
        if requests:
            per_request = used["gunicorn"] / requests * 1000
            print(f"  gunicorn CPU per request: {per_request:.1f} ms")


# --- Reconciliation


def drain(sink: SmtpSink, accepted: Accepted, fixtures: Fixtures, timeout: float) -> None:
    """Wait until the outbox has nothing unsent and the sink has every confirmation."""
    started = time.monotonic()
    with psycopg.connect(database_url(DB_NAME), autocommit=True) as conn:
        while time.monotonic() - started < timeout:
            unsent = conn.execute(
                "SELECT COUNT(*) FROM reports_outboundemail WHERE id > %s AND sent_at IS NULL",
                [fixtures.baseline_email],
            ).fetchone()[0]
            if not unsent and sink.confirmation_count() >= len(accepted.reports):
                waited = time.monotonic() - started
                print(f"\nThe worker drained the outbox {waited:.1f} s after the load stopped.")
                return
            time.sleep(0.5)
    print(f"\nThe outbox was not drained {timeout:.0f} s after the load stopped.")


def reconcile(sink: SmtpSink, accepted: Accepted, fixtures: Fixtures) -> list[str]:
    with psycopg.connect(database_url(DB_NAME)) as conn:
        stored = dict(
            conn.execute(
                "SELECT r.report_id, m.slug || ' ' || r.contact_email FROM reports_report r "
                "JOIN reports_miniapp m ON m.id = r.mini_app_id WHERE r.id > %s",
                [fixtures.baseline_report],
            ).fetchall()
        )
        outbox = conn.execute(
            "SELECT COUNT(*), COUNT(sent_at) FROM reports_outboundemail WHERE id > %s",
            [fixtures.baseline_email],
        ).fetchone()
        # Each decided report whose reporter gave an address is told the decision, once.
        to_tell = {
            row[0]
            for row in conn.execute(
                "SELECT report_id FROM reports_report WHERE report_id = ANY(%s) "
                "AND contact_email <> ''",
                [sorted(accepted.decided)],
            )
        }
    clients = set(accepted.reports)
    emailed = set(sink.confirmations)
    twice = sorted(rid for rid, count in sink.confirmations.items() if count > 1)
    wrong_owner = sorted(
        rid
        for rid in clients & set(stored)
        if stored[rid] != " ".join(accepted.reports[rid])
        or sink.recipients.get(rid, accepted.reports[rid][1]) != accepted.reports[rid][1]
    )
    print("\nReconciliation (after the worker drained the outbox)")
    print(f"  report IDs accepted by the clients   {len(clients):6}")
    print(f"  reports stored during the run        {len(stored):6}")
    print(f"  confirmation e-mails at the sink     {sink.confirmation_count():6}")
    print(f"    for distinct reports               {len(emailed):6}")
    print(f"  outbox rows queued / sent            {outbox[0]:6} / {outbox[1]}")
    print(f"  decisions / decision e-mails         {len(accepted.decided):6} / "
          f"{sum(sink.decisions.values())}")  # fmt: skip
    print(f"  other e-mails at the sink            {len(sink.others):6}")
    print(f"  duplicates sent / wrong answer       {accepted.duplicates_sent:6} / "
          f"{len(accepted.duplicates_wrong)}")  # fmt: skip
    checks = {
        "accepted but not stored (lost)": sorted(clients - set(stored)),
        "stored but never accepted by a client": sorted(set(stored) - clients),
        "accepted but no confirmation e-mail": sorted(clients - emailed),
        "confirmation e-mail for a report no client was given": sorted(emailed - clients),
        "confirmation e-mailed more than once": twice,
        "one report ID handed out for two submissions (doubled)": accepted.doubled,
        "duplicate answered with another report": accepted.duplicates_wrong,
        "stored with another app or e-mail than submitted": wrong_owner,
        "outbox rows not sent": (
            [f"{outbox[0] - outbox[1]} row(s)"] if outbox[0] != outbox[1] else []
        ),
        "decided with an address but not told": sorted(to_tell - set(sink.decisions)),
        "decision e-mail for a report not decided or without an address": sorted(
            set(sink.decisions) - to_tell
        ),
        "decision e-mailed more than once": sorted(
            rid for rid, count in sink.decisions.items() if count > 1
        ),
        "outbox rows != confirmations + decisions told": (
            [f"{outbox[0]} != {len(clients)} + {len(to_tell)}"]
            if outbox[0] != len(clients) + len(to_tell)
            else []
        ),
        "other e-mails sent": sink.others,
    }
    missed = []
    for name, found in checks.items():
        if found:
            missed.append(f"{name}: {len(found)} ({', '.join(map(str, found[:5]))})")
    return missed


# --- Main


def report_table(recorder: Recorder, seconds: float) -> int:
    print(f"\n{'kind':30} {'count':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'409s':>5}")  # fmt: skip
    total = errors = 0
    for name, kind in sorted(recorder.kinds.items()):
        ms = [t * 1000 for t in kind.timings]
        total += len(ms)
        errors += kind.errors
        p50, p95, p99 = (
            (statistics.median(ms), percentile(ms, 95), percentile(ms, 99)) if ms else (0, 0, 0)
        )
        print(
            f"{name:30} {len(ms):6} {len(ms) / seconds:7.1f} {p50:8.1f} {p95:8.1f} {p99:8.1f} "
            f"{kind.errors:6} {kind.conflicts:5}"
        )
    print(f"{'all':30} {total:6} {total / seconds:7.1f}")
    for problem, count in recorder.problems.most_common():
        print(f"  error: {problem} x{count}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reporters", type=int, default=8, help="concurrent reporters (N)")
    parser.add_argument("--developers", type=int, default=4, help="concurrent developers (M)")
    parser.add_argument("--seconds", type=float, default=120, help="load duration")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1: gthread)")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    options = parser.parse_args()
    # A SIGTERM (a timeout, a killed make) unwinds like Ctrl-C: the finally below stops all.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["rm", "-rf", str(VAR_DIR / "media")], check=True)
    redis.Redis.from_url(REDIS_URL).flushdb()  # this bench's own DB: no stale queue or counters
    developers = [f"dev{i}@load.example" for i in range(options.developers)]
    sink = SmtpSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    port = free_port()
    env = base_environment() | {
        "DJANGO_SETTINGS_MODULE": "_load_settings",  # config.settings, rate limits raised
        "PYTHONPATH": str(ROOT / "bench"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.server_address[1]),
        "EMAIL_USE_TLS": "false",
    }
    worker_class = ["--worker-class", "gthread", "--threads", str(options.threads)]
    gunicorn = [BIN / "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w",
                str(options.workers), "--timeout", "60", "--log-level", "warning",
                *(worker_class if options.threads > 1 else [])]  # fmt: skip
    celery = [BIN / "celery", "-A", "config", "worker", "-Q", QUEUE, "--concurrency", "2",
              "--loglevel", "warning", "--without-gossip", "--without-mingle",
              "-n", f"load-{port}@%h"]  # fmt: skip
    processes = []
    stopping = threading.Event()
    threads = []
    try:
        prepare_database(developers)
        # gunicorn serves with DEBUG off, from the hashed files' manifest (under VAR_DIR).
        subprocess.run(
            [BIN / "python", "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        fixtures = read_fixtures()
        processes.append(start(celery, env, "celery.log"))
        processes.append(start(gunicorn, env, "gunicorn.log"))
        wait_for_port(port, processes[-1])
        base_url = f"http://127.0.0.1:{port}"
        accepted, recorder = Accepted(), Recorder()
        shots, tag = screenshot_pool(), secrets.token_hex(3)
        staff = [
            Developer(name, base_url, fixtures, accepted, recorder, i)
            for i, name in enumerate(developers)
        ]
        for developer in staff:
            developer.sign_in()
        reporters = [
            Reporter(i, base_url, fixtures, accepted, recorder, shots, tag)
            for i in range(options.reporters)
        ]
        server = (
            f"gthread, {options.workers} workers x {options.threads} threads"
            if options.threads > 1
            else f"sync, {options.workers} workers"
        )
        print(
            f"\n{options.reporters} reporters + {options.developers} developers for "
            f"{options.seconds:.0f} s against gunicorn ({server}, DEBUG off) on 127.0.0.1:{port}, "
            f"a Celery worker (2 processes) on {REDIS_URL}, an SMTP sink on loopback."
        )
        print("Help-center rate limits raised to 10^9/hour (bench/_load_settings.py).")
        print(f"load average (1, 5, 15 min) before: {load_average()}")
        meter = CpuMeter({processes[0].pid: "Celery worker", processes[1].pid: "gunicorn"})
        meter.start()
        started = time.monotonic()
        deadline = started + options.seconds
        for client in [*reporters, *staff]:
            args = (client, recorder, deadline, stopping)
            thread = threading.Thread(target=run_client, args=args, daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        print(f"load average (1, 5, 15 min) after:  {load_average()}")
        errors = report_table(recorder, elapsed)
        meter.stop_and_print(sum(len(kind.timings) for kind in recorder.kinds.values()))
        drain(sink, accepted, fixtures, timeout=120)
        missed = reconcile(sink, accepted, fixtures)
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=35)
        for process in reversed(processes):
            stop(process)
        sink.shutdown()
        redis.Redis.from_url(REDIS_URL).flushdb()
        if not options.keep_database:
            drop_database(DB_NAME)
    if errors:
        missed.insert(0, f"errors: {errors} (target 0)")
    for target in missed:
        print(f"MISSED: {target}")
    print("\nEvery target met." if not missed else f"\n{len(missed)} target(s) missed.")
    return 1 if missed else 0


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
