"""Benchmark the insights page on PostgreSQL: the 1,000,000-report app, 7, 30 and 90 days.

Uses the console bench's database (bench/console.py seeds it: run that first), or the one
BENCH_DB_NAME names (e.g. a copy: CREATE DATABASE ... TEMPLATE reportdesk_bench). Migrates
it, fills the insights rollups once with `manage.py insights_rebuild` when the big app has
none, serves it with gunicorn (2 sync workers, DEBUG off) and times sequential requests
through a real HTTP client: p50 / p95 / p99.

Target: p95 <= 150 ms for 90 days.

  BENCH_REQUESTS=100 (timed requests per case), BENCH_DB_NAME, BENCH_DATABASE_URL (the
  server), BENCH_PORT (default: a free loopback port).
"""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
from _pg import database_url
from console import (
    BIG,
    GUNICORN,
    PYTHON,
    environment,
    free_port,
    load_average,
    run_case,
    server_environment,
    sign_in,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_DB_NAME", "reportdesk_bench")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
PORT = int(os.environ.get("BENCH_PORT") or free_port())
TARGET_MS = 150


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env or environment(), check=True)


def prepare_database() -> None:
    manage("migrate", "--no-input", "-v", "0")
    # The server runs with DEBUG off: it serves the collected, hashed static files.
    manage("collectstatic", "--no-input", "-v", "0", env=server_environment())
    with psycopg.connect(database_url(DB_NAME), autocommit=True) as conn:
        rollups = conn.execute(
            "SELECT count(*) FROM reports_insightrollup r JOIN reports_miniapp m "
            "ON m.id = r.mini_app_id WHERE m.slug = %s",
            [BIG],
        ).fetchone()[0]
        if not rollups:
            print(f"Filling the insights rollups of {BIG} (insights_rebuild)...")
            manage("insights_rebuild", "--app", BIG)
        conn.execute("VACUUM ANALYZE reports_insightrollup")
        total = conn.execute(
            "SELECT count(*) FROM reports_report r JOIN reports_miniapp m "
            "ON m.id = r.mini_app_id WHERE m.slug = %s",
            [BIG],
        ).fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM reports_insightrollup").fetchone()[0]
    print(f"Database {DB_NAME}: {BIG} has {total:,} reports; {rows:,} rollup rows in all.")


def main() -> int:
    prepare_database()
    server_env = server_environment()
    server = subprocess.Popen(
        [GUNICORN, "config.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", "2", "--log-level", "warning"],
        cwd=ROOT,
        env=server_env,
    )
    base = f"/console/{BIG}/insights/"
    cases = [
        ("7 days", [f"{base}?period=7"], None),
        ("30 days", [f"{base}?period=30"], None),
        ("90 days", [f"{base}?period=90"], TARGET_MS),
        ("90 days, Asia/Kolkata", [f"{base}?period=90"], TARGET_MS),
        ("90 days, one chart's CSV", [f"{base}?period=90&csv=received"], TARGET_MS),
    ]
    missed = 0
    try:
        wait_for_port(PORT)
        with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:
            sign_in(client)
            utc_cookie = client.headers["Cookie"]
            print(f"\n{REQUESTS} sequential requests per case, gunicorn 2 workers (DEBUG off)")
            # Other work on this shared 2-core machine shows in every figure: say how busy.
            print(f"load average (1, 5, 15 min) before: {load_average()}")
            print(f"{'case':28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  target p95")
            for name, paths, target in cases:
                zone = "Asia/Kolkata" if "Kolkata" in name else "UTC"
                client.headers["Cookie"] = utc_cookie.replace(
                    "reportdesk_tz=UTC", f"reportdesk_tz={zone}"
                )
                figures = run_case(client, paths, REQUESTS)
                verdict = ""
                if target:
                    ok = figures["p95"] <= target
                    missed += not ok
                    verdict = f"<= {target} ms {'ok' if ok else 'MISSED'}"
                print(
                    f"{name:28} {figures['p50']:8.1f} {figures['p95']:8.1f} "
                    f"{figures['p99']:8.1f}  {verdict}"
                )
            print(f"load average (1, 5, 15 min) after: {load_average()}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: do not leave it running
            server.kill()
            server.wait()
    print(f"\n{missed} case(s) missed the target." if missed else "\nEvery case met its target.")
    return 1 if missed else 0  # a missed target fails `make bench`


if __name__ == "__main__":
    sys.exit(main())
