"""`make run` as a newcomer uses it: it serves on the port asked for, and Ctrl-C (SIGINT to
make's process group, as a terminal sends it) or SIGTERM to make stops the web server, the
worker and beat at once, each asked once, nothing left behind. A worker that dies is started
again.

The run is the real Makefile target, with its .env and data in the test's own directory.
"""

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bin.serve import live_group_members
from tests.moto import free_port

ROOT = Path(__file__).resolve().parent.parent
STARTUP_LIMIT = 180  # migrate + seed + runserver + worker on a busy machine
STOP_LIMIT = 20  # --grace 15 for the warm shutdown, then SIGKILL

pytestmark = pytest.mark.celery


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry))
    return found


class MakeRun:
    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.log_path = tmp_path / "make-run.log"
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.pop("DEBUG", None)  # the .env make run writes must be what turns it on
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                "run",
                f"PORT={self.port}",
                f"ENV_FILE={tmp_path / '.env'}",
                f"VAR_DIR={tmp_path / 'var'}",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
        self.groups: list[int] = []

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_LIMIT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log
            try:
                answer = httpx.get(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=5)
            except httpx.TransportError:
                answer = None
            if answer is not None and answer.status_code == 200 and " ready." in self.log:
                # The supervisor (make's child) and the two commands' process groups.
                [supervisor] = children_of(self.process.pid)
                self.groups = children_of(supervisor)
                assert len(self.groups) == 2, self.log
                return
            time.sleep(0.5)  # polling for the server to come up, not a timing assertion
        pytest.fail(f"make run did not serve within {STARTUP_LIMIT} s\n{self.log}")

    def left_running(self) -> list[int]:
        return [pid for group in self.groups for pid in live_group_members(group)]

    def stop_by_force(self) -> None:
        for group in [self.process.pid, *self.groups]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def make_run(tmp_path):
    run = MakeRun(tmp_path)
    yield run
    run.stop_by_force()  # whatever a failed test left


def assert_stops_at_once(run: MakeRun) -> None:
    started = time.monotonic()
    try:
        run.process.wait(timeout=STOP_LIMIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"make run still running {STOP_LIMIT} s after the signal\n{run.log}")
    while run.left_running() and time.monotonic() - started < STOP_LIMIT:
        time.sleep(0.1)
    assert run.left_running() == [], run.log
    log = run.log
    assert log.count("Warm shutdown") == 1, log  # the worker was asked once
    assert "Segmentation fault" not in log
    assert "killing what is left" not in log  # each stopped on its own SIGTERM


def test_ctrl_c_stops_the_server_the_worker_and_beat_at_once(make_run):
    make_run.wait_until_serving()
    answer = httpx.get(f"http://127.0.0.1:{make_run.port}/accounts/login/", timeout=5)
    assert answer.status_code == 200  # the port asked for
    os.killpg(make_run.process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    assert_stops_at_once(make_run)
    assert f"http://127.0.0.1:{make_run.port}/console/" in make_run.log


def test_sigterm_stops_it_and_a_dead_worker_is_started_again(make_run):
    make_run.wait_until_serving()
    worker = next(
        pid
        for pid in make_run.groups
        if "celery" in Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    )
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + STARTUP_LIMIT
    while len(re.findall(r" ready\.", make_run.log)) < 2 and time.monotonic() < deadline:
        assert make_run.process.poll() is None, make_run.log
        time.sleep(0.5)  # polling for the restarted worker, not a timing assertion
    assert "exited with code -9" in make_run.log
    assert len(re.findall(r"celery@\S+ ready\.", make_run.log)) == 2, make_run.log
    [supervisor] = children_of(make_run.process.pid)
    make_run.groups = children_of(supervisor)
    os.kill(make_run.process.pid, signal.SIGTERM)  # make passes it on to the supervisor
    assert_stops_at_once(make_run)
