"""Run several commands as one service: `make run` (runserver + worker with beat) and, if
wanted, production's gunicorn + worker + beat.

    python bin/serve.py "python manage.py runserver 127.0.0.1:8000" "celery -A config worker -B"

Each command is one argument (split like a shell would, no shell involved). Each runs in its
own session, so a Ctrl-C in the terminal reaches this supervisor alone and each child is asked
to stop exactly once: one SIGTERM to each (Celery's warm shutdown, gunicorn's graceful stop),
then after --grace seconds SIGKILL to whatever is left of its process group (runserver's
autoreloader child, Celery's pool and embedded beat). A second Ctrl-C kills at once.

A child that exits on its own (a crashed worker) is restarted after a second, unless it keeps
failing (--max-restarts within a minute); then everything stops and the exit code says so.
With --no-restart the first child to exit stops the whole set (for a process manager above).
"""

import argparse
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

RESTART_WINDOW_SECONDS = 60


def say(message: str) -> None:
    # A closed terminal or pipe must not stop the supervision.
    with contextlib.suppress(OSError):
        print(f"[serve] {message}", file=sys.stderr, flush=True)


def stop_with_parent() -> None:
    """In the child, before exec: SIGTERM when the supervisor dies (even by SIGKILL), so no
    worker outlives it. Linux only; elsewhere a no-op."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def live_group_members(pgid: int) -> list[int]:
    """Processes of the group that still run. Zombies do not count: an orphan's exit status
    is collected by PID 1, which in a container may never do it."""
    if not os.path.isdir("/proc"):
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # pid (comm) state ppid pgrp ...; comm may hold spaces, so split after ")".
                state, _ppid, group = stat.read().rpartition(")")[2].split()[:3]
        except OSError:
            continue
        if int(group) == pgid and state != "Z":
            members.append(int(entry))
    return members


@dataclass
class Child:
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        return shlex.join(self.argv)

    def start(self) -> None:
        # Own session: the terminal's SIGINT goes to the supervisor only, never straight to
        # the child (or its pool), so nothing is asked to stop twice.
        self.process = subprocess.Popen(  # noqa: S603
            self.argv, start_new_session=True, preexec_fn=stop_with_parent
        )
        say(f"started pid {self.process.pid}: {self.name}")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def group_alive(self) -> bool:
        return bool(live_group_members(self.process.pid))

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)


class Supervisor:
    def __init__(self, commands: list[list[str]], grace: float, restart: bool, max_restarts: int):
        self.children = [Child(argv) for argv in commands]
        self.grace = grace
        self.restart = restart
        self.max_restarts = max_restarts
        self.stopping = False
        self.kill_now = False
        self.exit_code = 0

    def on_signal(self, signum, frame) -> None:
        if self.stopping:
            self.kill_now = True
            return
        say(f"{signal.Signals(signum).name}: stopping")
        self.stopping = True

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.on_signal)
        for child in self.children:
            child.start()
        while not self.stopping:
            time.sleep(0.2)
            for child in self.children:
                if not self.stopping and not child.running():
                    self.child_exited(child)
        self.stop_all()
        return self.exit_code

    def child_exited(self, child: Child) -> None:
        code = child.process.returncode
        say(f"exited with code {code}: {child.name}")
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW_SECONDS]
        if not self.restart or len(child.restarts) >= self.max_restarts:
            if self.restart:
                say(f"gave up after {len(child.restarts)} restarts in a minute")
            self.exit_code = code or 1
            self.stopping = True
            return
        child.signal_group(signal.SIGKILL)  # leftovers of the dead one (pool processes)
        time.sleep(1)
        child.restarts.append(now)
        child.start()

    def stop_all(self) -> None:
        # One SIGTERM to each child (its leader), never repeated.
        for child in self.children:
            if child.running():
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and not self.kill_now:
            if not any(child.running() for child in self.children):
                break
            time.sleep(0.1)
        for child in self.children:
            if not child.running():
                say(f"{child.name} exited {child.process.returncode}")
        # Orphans (an autoreloader's server whose parent left) get a SIGTERM of their own.
        for child in self.children:
            if not child.running() and child.group_alive():
                child.signal_group(signal.SIGTERM)
        deadline = min(deadline, time.monotonic() + 2)
        while time.monotonic() < deadline and not self.kill_now:
            if not any(child.group_alive() for child in self.children):
                break
            time.sleep(0.1)
        for child in self.children:
            if child.group_alive():
                say(f"killing what is left of: {child.name}")
                child.signal_group(signal.SIGKILL)
            child.process.wait()
        say("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commands", nargs="+", help="one command per argument")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds before SIGKILL")
    parser.add_argument("--no-restart", dest="restart", action="store_false")
    parser.add_argument("--max-restarts", type=int, default=5)
    options = parser.parse_args(argv)
    commands = [shlex.split(command) for command in options.commands]
    supervisor = Supervisor(commands, options.grace, options.restart, options.max_restarts)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
