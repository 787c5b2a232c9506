"""A wall-clock deadline for a whole network exchange, enforced from a timer thread (safe_http)."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress
from http.client import HTTPConnection


class Expired(Exception):
    """The deadline passed between two steps of a fetch."""


class Watchdog:
    """The wall-clock deadline of a whole fetch, enforced from a timer thread.

    A socket timeout bounds each read, not their sum: a server that sends a byte a second never
    trips it, whether it drips the status line, the headers or the body. At the deadline the
    timer shuts the current connection's socket down, which ends any blocked connect, TLS
    handshake or read at once; the fetch then reports the deadline, not the broken read.
    """

    def __init__(self, seconds: float):
        self.expired = False
        self._ends_at = time.monotonic() + seconds
        self._connection: HTTPConnection | None = None
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def socket_timeout(self, per_operation: float) -> float:
        """The timeout for the next connection's socket operations: never past the deadline."""
        remaining = self._ends_at - time.monotonic()
        if remaining <= 0:
            raise Expired
        return min(per_operation, remaining)

    def check(self) -> None:
        if self.expired:
            raise Expired

    def guard(self, connection: HTTPConnection) -> None:
        self._connection, self._socket = connection, None

    def connected(self) -> None:
        # http.client forgets `connection.sock` once a response that closes the connection
        # arrives, while the body is still to be read from it: keep the socket itself.
        self._socket = self._connection.sock if self._connection else None
        if self.expired:
            self._shut()
        self.check()

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self.expired = True
        self._shut()

    def _shut(self) -> None:
        # During connect, `connection.sock` is the plain socket that the TLS handshake runs on.
        sock = self._socket or (self._connection.sock if self._connection else None)
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
