"""Run a Python program in a fresh process and read its answer: the last line it printed, as
JSON. For the tests that need a process of its own (production settings, another database,
what a running worker left behind)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_json(program: str, env: dict[str, str], *, timeout: float = 60) -> Any:
    """Run `program` with `python -c` from the project root in `env`; it must exit 0 (else the
    assertion shows its stderr), and the last line of its output is parsed as JSON: earlier
    lines (a log line, a warning) are allowed."""
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
