"""Benchmark the two answers that must not tell an outsider whether a report exists.

Times, in-process (Django test client, no network), interleaved so drift hits both sides:
"Check a report" (POST /help/<app>/check/) when the ID and e-mail match against when they do
not, and the status page with a real report ID and a wrong key against an unknown ID. Prints
the median of each, and the ratio of each pair (target: within 10 % of 1.0).

Uses PostgreSQL (database `reportdesk_bench_timing`, created on first use; BENCH_DATABASE_URL
overrides the server) and, when REDIS_URL is set, Redis as the cache and the broker, as in
production (the tasks go to their own queue, deleted afterwards; no worker runs). Without
REDIS_URL, the file cache and the filesystem broker under var/bench-timing. BENCH_REQUESTS=300.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "reportdesk_bench_timing"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
QUEUE = "bench-timing"

from _pg import ensure_database  # noqa: E402

os.environ["DATABASE_URL"] = ensure_database(DB_NAME)
os.environ["DEBUG"] = "true"
os.environ["VAR_DIR"] = str(ROOT / "var" / "bench-timing")
os.environ["CELERY_QUEUE"] = QUEUE
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from reports.models import Category, IssueType, MiniApp, Report  # noqa: E402
from reports.services import ReportInput, report_submit  # noqa: E402


def interleaved(cases: dict, n: int) -> dict[str, list[float]]:
    """Run each case n times, one of each in turn, and return the times in ms."""
    samples = {name: [] for name in cases}
    for _ in range(n):
        for name, run in cases.items():
            started = time.perf_counter()
            run()
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def compare(title: str, samples: dict[str, list[float]]) -> None:
    (first, a), (second, b) = samples.items()
    median_a, median_b = statistics.median(a), statistics.median(b)
    print(f"{title}")
    print(f"  {first:<24} median {median_a:7.2f} ms")
    print(f"  {second:<24} median {median_b:7.2f} ms")
    print(f"  ratio {first} / {second}: {median_a / median_b:.3f}")


def main() -> None:
    logging.disable(logging.WARNING)  # the matched e-mails' "broker" lines, if any
    call_command("migrate", verbosity=0)
    settings.TICKETS_RATE_LIMITS = dict.fromkeys(("check_ip",), (10**9, 3600))
    setup_test_environment()
    app, _ = MiniApp.objects.get_or_create(
        slug="bench-timing", defaults={"name": "Bench timing", "support_email": "s@b.example"}
    )
    report = Report.objects.filter(mini_app=app).first() or report_submit(
        mini_app=app,
        data=ReportInput(
            category=Category.EXPERIENCE,
            issue_type=IssueType.objects.get(pk="experience.crash"),
            details="It crashes on start.",
            contact_email="ana@example.net",
        ),
    )
    client = Client()
    check = f"/help/{app.slug}/check/"

    def check_with(email: str):
        def run():
            response = client.post(check, {"report_id": report.report_id, "email": email})
            assert response.status_code == 302, response.status_code

        return run

    def status_of(report_id: str):
        def run():
            response = client.get(f"/help/{app.slug}/tickets/{report_id}/?key=not-the-key")
            assert response.status_code == 404, response.status_code

        return run

    broker = "Redis" if settings.REDIS_URL else "filesystem"
    print(f"{REQUESTS} requests per case, PostgreSQL, {broker} cache and broker")
    for run in (check_with("ana@example.net"), status_of(report.report_id)):
        run()  # warm up templates and connections
    compare(
        "Check a report",
        interleaved(
            {
                "ID and e-mail match": check_with("ana@example.net"),
                "no match": check_with("eve@example.net"),
            },
            REQUESTS,
        ),
    )
    compare(
        "Status page",
        interleaved(
            {
                "real ID, wrong key": status_of(report.report_id),
                "unknown ID": status_of("ZZZZZZZZZZ"),
            },
            REQUESTS,
        ),
    )
    if settings.REDIS_URL:
        import redis

        client_redis = redis.Redis.from_url(settings.REDIS_URL)
        client_redis.delete(QUEUE)  # no worker consumes the bench's tasks
        client_redis.close()


if __name__ == "__main__":
    main()
