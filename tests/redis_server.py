"""A real redis-server of the test's own on a free loopback port, nothing saved to disk: for
the tests that stop Redis under the app (tests/faults/test_redis_down.py)."""

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.moto import free_port


@dataclass
class RedisServer:
    """One redis-server on a fixed port, which the test can stop and start again."""

    port: int
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers PING."""
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
                + ["--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                stdout=log,
                stderr=log,
            )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        message = f"redis-server did not start on {self.url} (see {self.log_path})"
                        raise RuntimeError(message) from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop it (killing it if SIGTERM is not enough); nothing if it is not running."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextmanager
def redis_server(log_dir: Path) -> Iterator[RedisServer]:
    """Start a redis-server, yield it, and stop it at the end whatever happens (also when it
    never came up, or the test stopped it itself)."""
    server = RedisServer(port=free_port(), log_path=Path(log_dir) / "redis.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
