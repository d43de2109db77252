"""A prefork pool child killed in the middle of a task: the task goes back on the queue at once
and runs again on a new child, exactly once (task_acks_late + task_reject_on_worker_lost).

Without reject_on_worker_lost the worker's parent process acknowledges the message as failed
(WorkerLostError) when its child dies, and the task is never run again. Here the worker's
visibility timeout is an hour, so only that rejection can bring the task back within the test.

The task is an e-mail's delivery; the SMTP server (tests/faults/test_worker_killed.py) holds
the first message unanswered, so the child is killed while it is certainly inside the task.
"""

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests import test_celery_e2e as e2e
from tests.faults.test_worker_killed import (  # noqa: F401 (fixtures)
    ENQUEUE_EMAIL,
    OUTBOX_ROW,
    WAIT_LIMIT,
    left_in_redis,
    on_redis,
    smtp_server,
    system,
    wait_for,
)

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def start_prefork_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            e2e.CELERY,
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
            f"--hostname=prefork-{uuid.uuid4().hex[:8]}@%h",
        ],
        cwd=e2e.ROOT,
        env={**env, "CELERY_VISIBILITY_TIMEOUT": "3600"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(entry.name))
    return children


@on_redis
def test_a_killed_pool_child_has_its_task_redone_once(system, tmp_path, smtp_server):  # noqa: F811
    env = {
        **system.env,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.server_address[1]),
        "EMAIL_USE_TLS": "false",
    }
    log = tmp_path / "worker.log"
    worker = start_prefork_worker(env, log)
    try:
        wait_for(lambda: "ready." in log.read_text(), "the worker to be ready", tmp_path)
        email_id = e2e.run_django(env, ENQUEUE_EMAIL)["id"]
        assert smtp_server.stalled.wait(WAIT_LIMIT), e2e.logs(tmp_path)  # inside the task

        [child] = children_of(worker.pid)
        os.kill(child, signal.SIGKILL)  # the pool child only; its parent lives on
        assert smtp_server.dropped.wait(10)  # the message was never accepted
        assert smtp_server.accepted == []

        wait_for(lambda: smtp_server.accepted, "the task to run again", tmp_path)
        wait_for(
            lambda: e2e.run_django(env, OUTBOX_ROW, email_id=email_id)["sent"],
            "the outbox row to be marked sent",
            tmp_path,
        )
        assert worker.poll() is None  # the same worker, with a new child
        assert child not in children_of(worker.pid)
        time.sleep(1)  # a second (wrong) delivery would come within this
    finally:
        assert e2e.stop(worker) == 0, e2e.logs(tmp_path)

    [message] = smtp_server.accepted  # sent exactly once
    assert b"To: ana@example.net" in message
    assert e2e.run_django(env, OUTBOX_ROW, email_id=email_id) == {"sent": True, "attempts": 1}
    assert "signal 9 (SIGKILL)" in log.read_text()
    assert left_in_redis(env) == 0  # acknowledged after the second run, nothing unacked
