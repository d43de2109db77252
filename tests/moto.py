"""A moto S3 server in its own process on a free loopback port: object storage for real, for
the tests that need it (tests/test_s3_storage.py, tests/faults/test_storage_fails.py)."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

MOTO_SERVER = Path(sys.executable).with_name("moto_server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class MotoServer:
    process: subprocess.Popen
    endpoint: str


@contextmanager
def moto_server(log_dir: Path) -> Iterator[MotoServer]:
    """Start moto_server, wait until it answers, and stop it at the end whatever happens
    (also when it never came up, or the test stopped it itself)."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = log_dir / "moto.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    message = f"moto_server did not start on {endpoint} (see {log_path})"
                    raise RuntimeError(message) from None
                time.sleep(0.1)
        yield MotoServer(process=process, endpoint=endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
