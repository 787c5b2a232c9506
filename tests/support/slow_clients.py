"""Clients that hold a web server's connections: silent ones, and ones that trickle a request head
or a body a byte a second. The stay-up tests and the web tier's benchmark row (bench/bench_web.py)
open them beside a client that times ordinary requests.

All the held sockets live in this process and are driven by one thread, so a thousand of them cost
the test a thousand file descriptors and nothing else.
"""

from __future__ import annotations

import resource
import socket
import statistics
import threading
import time
import urllib.request
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

HEAD = b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
BODY_HEAD = (
    b"POST /api/tasks/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
)


def allow_open_files(count: int) -> None:
    """Raise this process's soft limit on open files to hold `count` sockets and more."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 512
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


@dataclass
class Held:
    """Connections held open; `closed_after` records, per connection the server closed, how many
    seconds after it was opened that was noticed (to within the trickle's second)."""

    kind: str
    sockets: list[socket.socket] = field(default_factory=list)
    opened_at: list[float] = field(default_factory=list)
    closed_after: dict[int, float] = field(default_factory=dict)
    answers: dict[int, bytes] = field(default_factory=dict)

    @property
    def open_count(self) -> int:
        return len(self.sockets) - len(self.closed_after)


def _send_next_byte(held: Held, index: int, payload: bytes, sent: list[int]) -> None:
    sock = held.sockets[index]
    try:
        with suppress(BlockingIOError):
            answer = sock.recv(4096)
            # An answer or an end of stream: the server is done with this connection.
            held.answers[index] = answer
            held.closed_after[index] = time.monotonic() - held.opened_at[index]
            return
        if held.kind != "silent" and sent[index] < len(payload):
            sock.send(payload[sent[index] : sent[index] + 1])
            sent[index] += 1
    except OSError:
        held.closed_after[index] = time.monotonic() - held.opened_at[index]


@contextmanager
def holding(port: int, kind: str, count: int, interval: float = 1.0):
    """Open `count` connections of `kind` ("silent", "head": a request head trickled a byte per
    `interval`, or "body": a whole head, then a body trickled likewise) and keep them going until
    the block ends; yields the Held record."""
    allow_open_files(count)
    held = Held(kind)
    payload = HEAD if kind == "head" else b"x" * 4000
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if kind == "body":
            sock.sendall(BODY_HEAD)
        sock.setblocking(False)
        held.sockets.append(sock)
        held.opened_at.append(time.monotonic())
    sent = [0] * count
    stop = threading.Event()

    def drive():
        while not stop.wait(interval):
            for index in range(count):
                if index not in held.closed_after:
                    _send_next_byte(held, index, payload, sent)

    driver = threading.Thread(target=drive, name=f"{kind}-clients", daemon=True)
    driver.start()
    try:
        yield held
    finally:
        stop.set()
        driver.join(timeout=10)
        for sock in held.sockets:
            sock.close()


def timed_requests(
    url: str, seconds: float, headers: dict | None = None, pause: float = 0.05, timeout: float = 30.0
) -> list[float]:
    """Ordinary requests one after another for `seconds`, each timed from connect to last byte (a
    request that fails or takes over `timeout` counts as `timeout`: the router cuts one off at 30 s)."""
    timings = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        request = urllib.request.Request(url, headers=headers or {})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
            timings.append(time.monotonic() - started)
        except OSError:
            timings.append(timeout)
        time.sleep(pause)
    return timings


def summary(timings: list[float]) -> str:
    return f"p50 {statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms ({len(timings)} requests)"


def rss_kib(pids: list[int], name: str) -> int:
    """Resident memory, in KiB, of those of `pids` whose command line contains `name`."""
    total = 0
    for pid in pids:
        try:
            if name.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue  # gone meanwhile
    return total
