"""A real HTTP receiver on loopback, in a thread: what a mini app's backend would run.

Each request takes the next planned answer (status, body, delay, headers), 204 when none is
left, and is recorded with its headers and body.
"""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Planned:
    status: int = 204
    body: bytes = b""
    delay: float = 0.0
    headers: dict = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float  # time.monotonic() on arrival
    wall: float  # time.time() on arrival


class Receiver:
    def __init__(self):
        self.plan: list[Planned] = []
        self.received: list[Received] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                planned = receiver.plan.pop(0) if receiver.plan else Planned()
                with receiver.arrived:
                    receiver.received.append(
                        Received(self.path, dict(self.headers), body, time.monotonic(), time.time())
                    )
                    receiver.arrived.notify_all()
                if planned.delay:
                    time.sleep(planned.delay)
                try:
                    self.send_response(planned.status)
                    for name, value in planned.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(planned.body)))
                    self.end_headers()
                    self.wfile.write(planned.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up (a timeout, a capped read)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count and time.monotonic() < deadline:
                self.arrived.wait(deadline - time.monotonic())
        return self.received

    def close(self):
        self.server.shutdown()
        self.server.server_close()
