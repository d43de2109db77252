"""Benchmark the developer console on PostgreSQL: 1,000,000 reports in one app, 100,000 in 4 more.

Seeds `reportdesk_bench` with `manage.py seed_demo` (the first time takes ~15 minutes; later
runs reuse the data when the row counts already match), serves the app with gunicorn on a
loopback port (2 sync workers, this machine has 2 cores), signs in with a real HTTP client
(httpx) and times each case sequentially: p50 / p95 / p99 and requests per second.

Targets (p95, issue #15): list, sorts and a deep keyset page <= 30 ms, exact-ID search <= 15 ms,
free-text search <= 60 ms, panel <= 25 ms, stacked filters (issue type + past due + date range)
<= 50 ms. Then the default list page taken apart (bench/_console_parts.py): the bare keyset SQL,
every statement of the page, a minimal template of the same 50 rows, against the whole page, so
the framework's overhead is a ratio (goal: within 3x).

  BENCH_REQUESTS=200 (timed requests per case), BENCH_DATABASE_URL (the server to use; its
  database name is ignored), BENCH_DB_NAME (default reportdesk_bench: another name benches a
  copy, e.g. `CREATE DATABASE mine TEMPLATE reportdesk_bench`), BENCH_PORT (default: a free
  loopback port), BENCH_CASES (only the cases whose name contains one of these comma-separated
  words).
"""

import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psycopg
from _pg import database_url, ensure_database

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DB_NAME = os.environ.get("BENCH_DB_NAME", "reportdesk_bench")
APPS = {"bench-big": 1_000_000, "bench-a": 100_000, "bench-b": 100_000}
APPS |= {"bench-c": 100_000, "bench-d": 100_000}
BIG = "bench-big"
USER, PASSWORD = "bench@example.com", "bench-password"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A fresh port each run: never measure some other server that happens to listen on a fixed one.
PORT = int(os.environ.get("BENCH_PORT") or free_port())


def environment() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(DB_NAME),
        "DEBUG": "true",
        "VAR_DIR": str(ROOT / "var" / "bench"),
        "LOG_LEVEL": "WARNING",
    }


def server_environment() -> dict:
    """Production settings for the served app (DEBUG off), on plain HTTP over loopback."""
    return {
        **environment(),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
    }


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=environment(), check=True)


def prepare_database() -> None:
    ensure_database(DB_NAME)
    manage("migrate", "--no-input", "-v", "0")
    # The served app runs with DEBUG off: its pages name the hashed static files.
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=server_environment(),
        check=True,
    )
    seeded = False
    with psycopg.connect(database_url(DB_NAME), autocommit=True) as conn:
        counts = dict(
            conn.execute(
                "SELECT m.slug, COUNT(r.id) FROM reports_miniapp m "
                "LEFT JOIN reports_report r ON r.mini_app_id = m.id GROUP BY m.slug"
            ).fetchall()
        )
        for slug, target in APPS.items():
            missing = target - counts.get(slug, 0)
            if missing > 0:
                print(f"Seeding {missing:,} reports into {slug} (reused on later runs)...")
                manage("seed_demo", "--app", slug, "--user", USER, "--password", PASSWORD,
                       "--reports", str(missing), "--seed", "7")  # fmt: skip
                seeded = True
        # Cheap when nothing changed; after seeding or new indexes it gives the planner its
        # statistics (including the full-text index's) and index-only scans their visibility map.
        conn.execute("VACUUM ANALYZE reports_report")
        conn.execute("VACUUM ANALYZE reports_reportevent")
        conn.execute("VACUUM ANALYZE reports_screenshot")
        # The password is reset every run, so the bench can always sign in.
        if not seeded:
            manage("seed_demo", "--app", BIG, "--user", USER, "--password", PASSWORD,
                   "--reports", "0")  # fmt: skip
        total = conn.execute("SELECT COUNT(*) FROM reports_report").fetchone()[0]
        print(f"Database {DB_NAME}: {total:,} reports in {len(APPS)} apps.")


def samples() -> dict:
    """Real values to look for: report IDs, Open IDs, order IDs and a report deep in the list."""
    with psycopg.connect(database_url(DB_NAME)) as conn:
        app_id = conn.execute("SELECT id FROM reports_miniapp WHERE slug = %s", [BIG]).fetchone()[0]
        rows = conn.execute(
            "SELECT report_id, open_id, order_id FROM reports_report "
            "WHERE mini_app_id = %s AND id %% 997 = 0 LIMIT 300",
            [app_id],
        ).fetchall()
        deep = conn.execute(
            "SELECT report_id FROM reports_report WHERE mini_app_id = %s "
            "ORDER BY created_at DESC, id DESC OFFSET 500000 LIMIT 20",
            [app_id],
        ).fetchall()
        # Stacked filters: an issue type of each category, past due, over the middle days.
        issue_types = conn.execute(
            "SELECT DISTINCT ON (category) code FROM reports_issuetype ORDER BY category, position"
        ).fetchall()
        first, last = conn.execute(
            "SELECT MIN(created_at), MAX(created_at) FROM reports_report WHERE mini_app_id = %s",
            [app_id],
        ).fetchone()
    span = last - first
    return {
        "report_ids": [r[0] for r in rows],
        "open_ids": [r[1] for r in rows if r[1]],
        "order_ids": [r[2] for r in rows if r[2]],
        "deep": [r[0] for r in deep],
        "issue_types": [r[0] for r in issue_types],
        "date_range": ((first + span * 0.2).date(), (first + span * 0.7).date()),
    }


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def sign_in(client: httpx.Client) -> None:
    """Cookies are Secure (DEBUG off), which an HTTP client keeps but never sends over plain
    HTTP: the bench sends them itself."""
    page = client.get("/accounts/login/")
    csrf = page.cookies["csrftoken"]
    response = client.post(
        "/accounts/login/",
        data={"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Cookie": f"csrftoken={csrf}"},
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed ({response.status_code})")
    session = response.cookies["sessionid"]
    client.headers["Cookie"] = f"sessionid={session}; csrftoken={csrf}; reportdesk_tz=UTC"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run_case(client: httpx.Client, paths: list[str], requests: int) -> dict:
    for path in paths[:5]:  # warm-up: connections, caches
        client.get(path)
    timings = []
    started = time.perf_counter()
    for i in range(requests):
        path = paths[i % len(paths)]
        t0 = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    elapsed = time.perf_counter() - started
    return {
        "p50": statistics.median(timings),
        "p95": percentile(timings, 95),
        "p99": percentile(timings, 99),
        "rps": requests / elapsed,
    }


def cases(data: dict) -> list[tuple[str, list[str], float]]:
    base = f"/console/{BIG}/reports/"

    def q(**params) -> str:
        return f"{base}?{urlencode(params)}"

    words = ["refund", "charged twice", "spinner", "cart update", "subscription", "grey feed"]
    rare = ["xylophone", "zebra crossing", "quokka"]  # in no report: the full-text index's plan
    exact = data["report_ids"][:50] + data["open_ids"][:25] + data["order_ids"][:25]
    start, end = data["date_range"]
    stacked = [
        q(issue_type=code, past_due="true", reported_from=start, reported_to=end)
        for code in data["issue_types"]
    ]
    listing = [
        ("list: default (newest first)", [base], 30),
        ("list: filtered (payment, pending)", [q(category="payment", status="pending")], 30),
        ("list: filtered (past due tab)", [q(status="past_due")], 30),
        ("list: stacked filters (type, past due, dates)", stacked, 50),
    ]
    for sort in ("time", "status", "-status", "issue_type", "-issue_type"):
        listing.append((f"list: sort {sort}", [q(ordering=sort)], 30))
    listing += [
        ("list: sort time_left", [q(ordering="time_left")], 30),
        ("list: sort -time_left", [q(ordering="-time_left")], 30),
        ("list: page 10,001 (keyset, row 500,000)", [q(after=rid) for rid in data["deep"]], 30),
        ("search: free text", [q(q=w) for w in words], 60),
        ("search: free text, rare words", [q(q=w) for w in rare], 60),
        ("search: exact ID / Open ID / order ID", [q(q=v) for v in exact], 15),
        # What search-as-you-type really requests: the table fragment, not the whole page.
        ("search: free text (HTMX fragment)", [q(q=w) for w in words], 60),
        ("search: exact ID (HTMX fragment)", [q(q=v) for v in exact], 15),
        ("panel", [f"{base}{rid}/" for rid in data["report_ids"][:100]], 25),
        ("panel (HTMX fragment)", [f"{base}{rid}/" for rid in data["report_ids"][100:200]], 25),
    ]
    only = [word for word in os.environ.get("BENCH_CASES", "").split(",") if word]
    return [case for case in listing if not only or any(word in case[0] for word in only)]


def worker_peak_rss_mb(master_pid: int) -> float:
    """The largest peak resident size (VmHWM) among gunicorn's worker processes."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=0.0)


def measure_parts(page_p50: float | None) -> None:
    """The default list page taken apart, in a process of its own with the server's settings."""
    result = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "_console_parts.py"), USER, f"/console/{BIG}/reports/"],
        cwd=ROOT,
        env=server_environment(),
        check=True,
        capture_output=True,
        text=True,
    )
    parts = json.loads(result.stdout.strip().splitlines()[-1])
    floor = parts["keyset_sql"] + parts["minimal_render"]
    print(
        "\nThe default list page taken apart (medians, ms, one process, no HTTP):\n"
        f"  bare keyset SQL of the 50 rows      {parts['keyset_sql']:7.2f}\n"
        f"  all {parts['statement_count']} statements of the page      "
        f"{parts['statements']:7.2f}\n"
        f"  minimal template of the 50 rows     {parts['minimal_render']:7.2f}\n"
        f"  SQL + minimal render                {floor:7.2f}\n"
        f"  the page's own templates            {parts['page_render']:7.2f}\n"
        f"  the whole request through Django    {parts['view']:7.2f}"
        f"   = {parts['view'] / floor:.1f}x (SQL + minimal render)"
    )
    if page_p50 is not None:
        print(
            f"  the page over HTTP (p50 above)      {page_p50:7.2f}"
            f"   = {page_p50 / floor:.1f}x (goal: within 3x)"
        )


def measure_export(client: httpx.Client, master_pid: int) -> None:
    before = worker_peak_rss_mb(master_pid)
    started = time.perf_counter()
    size = rows = 0
    with client.stream("GET", f"/console/{BIG}/reports/export.csv", timeout=600) as response:
        first_byte = time.perf_counter() - started
        for chunk in response.iter_bytes():
            size += len(chunk)
            rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    after = worker_peak_rss_mb(master_pid)
    print(
        f"\nCSV export of the whole 1M-report app: {rows - 1:,} rows, {size / 1e6:.0f} MB in "
        f"{elapsed:.1f} s (first byte after {first_byte * 1000:.0f} ms); worker peak RSS "
        f"{before:.0f} MB before, {after:.0f} MB after"
    )


def main() -> int:
    prepare_database()
    data = samples()
    random.Random(1).shuffle(data["report_ids"])
    server = subprocess.Popen(
        # A long timeout: a sync worker streaming a million-row CSV must not be killed at 30 s.
        [
            GUNICORN,
            "config.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            "2",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env=server_environment(),
    )
    failures = 0
    try:
        wait_for_port(PORT)
        with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:
            sign_in(client)
            print(
                f"\n{REQUESTS} sequential requests per case, gunicorn 2 workers (DEBUG off), "
                "app of 1M reports"
            )
            # Other work on this 2-core machine shows in every figure: say how busy it was.
            print(f"load average (1, 5, 15 min) before: {load_average()}")
            print(f"{'case':46} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}  target p95")
            page_p50 = None
            for name, paths, target in cases(data):
                if name.endswith("(HTMX fragment)"):
                    client.headers["HX-Request"] = "true"
                figures = run_case(client, paths, REQUESTS)
                client.headers.pop("HX-Request", None)
                ok = figures["p95"] <= target
                failures += not ok
                if name.startswith("list: default"):
                    page_p50 = figures["p50"]
                print(
                    f"{name:46} {figures['p50']:8.1f} {figures['p95']:8.1f} "
                    f"{figures['p99']:8.1f} {figures['rps']:7.1f}  <= {target:.0f} ms "
                    f"{'ok' if ok else 'MISSED'}"
                )
            print(f"load average (1, 5, 15 min) after: {load_average()}")
            measure_parts(page_p50)
            if not os.environ.get("BENCH_CASES"):
                measure_export(client, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"\n{failures} case(s) missed the target." if failures else "\nEvery case met its target."
    )
    return 1 if failures else 0  # a missed target fails `make bench`


if __name__ == "__main__":
    sys.exit(main())
