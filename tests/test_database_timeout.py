"""A database that accepts the connection and never answers fails fast, not after TCP's timeout."""

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Times the connection attempt alone: Python's and Django's start-up, which a busy machine (the
# suite's own xdist workers) can stretch past the limit, is not what is under test.
PROBE = """
import time, django
django.setup()
from django.db import connection
started = time.monotonic()
try:
    connection.ensure_connection()
finally:
    print(f"{time.monotonic() - started:.2f}")
"""


def test_a_silent_database_fails_within_the_connect_timeout(tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever speaks PostgreSQL
    port = silent.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ENV_FILE"}},
        "ENV_FILE": "",
        "DEBUG": "true",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/reportdesk",
        "DATABASE_CONNECT_TIMEOUT": "1",
    }
    try:
        result = subprocess.run(
            [sys.executable, "-c", PROBE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        silent.close()

    assert result.returncode != 0
    assert "OperationalError" in result.stderr
    elapsed = float(result.stdout.strip().splitlines()[-1])
    assert elapsed < 10, f"took {elapsed:.1f} s to give up on a silent database"
