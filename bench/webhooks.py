"""Webhooks: what they cost a submission, and how soon an event reaches the receiver.

1. Submission latency with and without an endpoint, interleaved, for an app with no endpoint
   and one with an endpoint subscribed to report.created: (a) a whole submission as the mini
   app's backend makes it, a signed POST /api/v1/apps/<slug>/reports over HTTP to gunicorn on
   loopback (one sync worker, DEBUG on as in `make run`), (b) the same request through Django
   in this process (no socket, no server), and (c) report_submit alone (the service every door
   uses, committing its transaction and sending the delivery task to Redis after commit): the
   same added cost against ever smaller wholes. Target: webhooks add under 5 % to a submission
   (median of (a)).
2. Delivery latency, event to receipt, while a load runs: a real Celery worker (prefork,
   concurrency 2) on Redis POSTs to a receiver on loopback in this process; LOAD_THREADS
   threads file reports into another app as fast as they can meanwhile, and one thread files
   a report for the hooked app every 100 ms. Latency = arrival at the receiver minus the
   event's own timestamp (taken before the transaction commits). Target: p95 <= 2 s.
   (The load here is this script's in-process one. Under bench/load.py's HTTP load instead,
   start that, then this with BENCH_SECONDS=40 once its load has begun: part 2 then runs
   while both load the machine; part 1's figures from such a run mean nothing.)

PostgreSQL database `reportdesk_bench_webhooks` (created on first use; BENCH_DATABASE_URL names
the server), Redis BENCH_WEBHOOKS_REDIS_URL (default redis://127.0.0.1:6379/7), its own queue.
BENCH_SUBMISSIONS=300, BENCH_SECONDS=20, BENCH_LOAD_THREADS=4.
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "reports" / "webhooks"))

DB_NAME = "reportdesk_bench_webhooks"
QUEUE = f"bench-webhooks-{os.getpid()}"
SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", "300"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
LOAD_THREADS = int(os.environ.get("BENCH_LOAD_THREADS", "4"))

from _pg import ensure_database  # noqa: E402

os.environ["DATABASE_URL"] = ensure_database(DB_NAME)
os.environ["DEBUG"] = "true"  # WEBHOOKS_ALLOW_PRIVATE_NETWORKS: the receiver is on loopback
os.environ["REDIS_URL"] = os.environ.get("BENCH_WEBHOOKS_REDIS_URL", "redis://127.0.0.1:6379/7")
os.environ["VAR_DIR"] = str(ROOT / "var" / "bench-webhooks")
os.environ["CELERY_QUEUE"] = QUEUE
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

import httpx  # noqa: E402
import redis  # noqa: E402
from console import GUNICORN, PORT, wait_for_port  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from receiver import Receiver  # noqa: E402

from reports.models import Category, IssueType, MiniApp  # noqa: E402
from reports.services import ReportInput, report_submit  # noqa: E402
from reports.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402
from tests.tickets.api_client import api_post, signed_headers  # noqa: E402

CREATED = "report.created"
RECEIVER_URL: list[str] = []  # set by main() once the receiver listens


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def submit(app: MiniApp, crash: IssueType) -> None:
    data = ReportInput(category=Category.EXPERIENCE, issue_type=crash, details="Bench crash.")
    report_submit(mini_app=app, data=data)


def app_named(slug: str) -> MiniApp:
    return MiniApp.objects.get_or_create(slug=slug, defaults={"name": slug})[0]


def interleaved(label: str, doors: dict, *, pause: float = 0) -> float:
    """Time each door once per round, in turn; print medians and the added share. `pause`
    (seconds, not timed) lets the server finish what it does after a response before the next
    request, so that work is neither hidden in nor charged to the next door's time."""
    samples = {name: [] for name in doors}
    for _ in range(SUBMISSIONS):
        for name, door in doors.items():
            time.sleep(pause)
            started = time.perf_counter()
            door()
            samples[name].append((time.perf_counter() - started) * 1000)
    print(f"Submission latency, {label}, {SUBMISSIONS} each, interleaved:")
    for name, values in samples.items():
        print(
            f"  {name:<13} median {statistics.median(values):6.2f} ms"
            f"   p95 {percentile(values, 0.95):6.2f} ms"
        )
    plain_ms, hooked_ms = (statistics.median(values) for values in samples.values())
    added = (hooked_ms - plain_ms) / plain_ms * 100
    print(f"  webhooks add {added:+.1f} % ({hooked_ms - plain_ms:+.2f} ms) to the median")
    return added


def http_submissions() -> dict:
    """(a): two fresh apps each run (the API's per-app hourly budget starts afresh), one with
    an endpoint, posted to over HTTP by the caller while gunicorn serves them."""
    run = os.getpid()
    plain, hooked = app_named(f"bench-http-plain-{run}"), app_named(f"bench-http-hooked-{run}")
    WebhookEndpoint.objects.create(mini_app=hooked, url=RECEIVER_URL[0], event_types=[CREATED])
    client = httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=30)
    counter = iter(range(10**9))

    def post(app: MiniApp):
        def send() -> None:
            # Details differ each time: the same text from the same backend is a duplicate.
            body = json.dumps(
                {"category": "experience", "issue_type": "crash", "details": f"C {next(counter)}"}
            ).encode()
            headers = {
                name.removeprefix("HTTP_").replace("_", "-"): value
                for name, value in signed_headers(app.signing_secret, body).items()
            }
            headers["Content-Type"] = "application/json"
            response = client.post(
                f"/api/v1/apps/{app.slug}/reports", content=body, headers=headers
            )
            assert response.status_code == 201, response.text

        return send

    return {"no endpoint": post(plain), "one endpoint": post(hooked)}


def submission_cost(plain: MiniApp, hooked: MiniApp, crash: IssueType) -> float:
    """Prints the three measures; returns (a)'s added share, the one the target is on."""
    server = subprocess.Popen(
        [GUNICORN, "config.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", "1", "--log-level", "warning"],
        cwd=ROOT,
        env=dict(os.environ),
    )
    try:
        wait_for_port(PORT)
        # The broker message goes after the response (reports/after_response.py): a 5 ms
        # pause lets the one worker finish it before the next request, as between two
        # submissions from a backend that does not file hundreds a second into one worker.
        added = interleaved(
            "a signed API submission over HTTP (target: under 5 % added)",
            http_submissions(),
            pause=0.005,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    client = Client(HTTP_HOST="127.0.0.1")
    counter = iter(range(10**9))

    def in_process(app: MiniApp):
        def post() -> None:
            payload = {"category": "experience", "issue_type": "crash"}
            response = api_post(client, app, {**payload, "details": f"Crash {next(counter)}"})
            assert response.status_code == 201, response.content

        return post

    # The per-app API budget (600 an hour) is not what this measures.
    with override_settings(TICKETS_RATE_LIMITS={"api_app": (10**6, 3600)}):
        interleaved(
            "the same request in process (no socket)",
            {"no endpoint": in_process(plain), "one endpoint": in_process(hooked)},
        )
    interleaved(
        "report_submit alone",
        {
            "no endpoint": lambda: submit(plain, crash),
            "one endpoint": lambda: submit(hooked, crash),
        },
    )
    return added


def delivery_latency(plain: MiniApp, hooked: MiniApp, crash: IssueType, receiver) -> float:
    """Prints the latencies; returns their p95 in ms (infinite when none arrived)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = open(ROOT / "var" / "bench-webhooks" / "worker.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "config",
            "worker",
            "--concurrency=2",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # The worker's start-up is not measured: one event delivered first says it is ready.
    submit(hooked, crash)
    if not receiver.wait_for(1, timeout=120):
        worker.terminate()
        raise SystemExit("The worker delivered nothing within 120 s: see var/bench-webhooks/")
    receiver.received.clear()
    stop = threading.Event()
    loaded = [0]

    def load():
        while not stop.is_set():
            submit(plain, crash)
            loaded[0] += 1
        connection.close()

    threads = [threading.Thread(target=load) for _ in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    sent = 0
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        submit(hooked, crash)
        sent += 1
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join()
    received = receiver.wait_for(sent, timeout=30)
    worker.terminate()
    worker.wait(timeout=30)
    log.close()
    latencies = []
    for request in received:
        event_at = datetime.fromisoformat(json.loads(request.body)["timestamp"]).timestamp()
        latencies.append((request.wall - event_at) * 1000)
    print(
        f"Delivery latency, event to receipt, {len(received)}/{sent} events over {SECONDS:g} s "
        f"while {LOAD_THREADS} threads filed {loaded[0]} other reports:"
    )
    if not latencies:
        return float("inf")
    p95 = percentile(latencies, 0.95)
    print(
        f"  median {statistics.median(latencies):7.1f} ms   p95 {p95:7.1f} ms"
        f"   max {max(latencies):7.1f} ms (target p95 <= 2000 ms)"
    )
    return p95


def main() -> int:
    logging.disable(logging.WARNING)
    (ROOT / "var" / "bench-webhooks").mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    crash = IssueType.objects.get(pk="experience.crash")
    plain, hooked = app_named("bench-plain"), app_named("bench-hooked")
    receiver = Receiver()
    WebhookEndpoint.objects.filter(mini_app=hooked).delete()
    WebhookEndpoint.objects.create(mini_app=hooked, url=receiver.url, event_types=[CREATED])
    RECEIVER_URL[:] = [receiver.url]
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        added = submission_cost(plain, hooked, crash)
        # Part 1's deliveries are not part 2's measure: drop their tasks and rows.
        client.delete(QUEUE)
        WebhookDelivery.objects.all().delete()
        receiver.received.clear()
        p95 = delivery_latency(plain, hooked, crash, receiver)
    finally:
        client.delete(QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}")
        client.close()
        receiver.close()
    missed = [
        *([f"submission overhead {added:+.1f} % (target < 5 %)"] if added >= 5 else []),
        *([f"delivery p95 {p95:.0f} ms (target <= 2000 ms)"] if p95 > 2000 else []),
    ]
    print("\nMISSED: " + "; ".join(missed) if missed else "\nEvery target met.")
    return 1 if missed else 0  # a missed target fails `make bench`


if __name__ == "__main__":
    sys.exit(main())
