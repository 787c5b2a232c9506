"""Waking a consumer of the embedded broker the moment there is something for it, instead of at its
next poll.

Each queue's folder holds a FIFO, `.wake`, created by the first consumer that waits on the queue.
A producer that has put a message in the queue writes a byte to it (`ring`: open, write, close,
never blocking; nobody waiting is no error). A consumer holds the FIFO open and waits on it with
poll(2), beside a pipe of its own that an acknowledgement writes to (a free prefetch slot), with the
polling interval as its timeout: a wake-up that never comes (the FIFO replaced while the consumer
held the old one, a producer of an older version) costs at most the interval, as before.

POSIX only, as the transport is (claims.py locks with fcntl). A FIFO needs no inotify and no
shared memory, and a byte in it outlives the wait it was meant for: one written between a
consumer's poll and its wait wakes that wait at once.
"""

from __future__ import annotations

import os
import select
import stat
import threading
from contextlib import suppress

WAKE = ".wake"
_FLAGS = os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def ring(folder) -> None:
    """Wake whoever waits on the queue in `folder`: no FIFO (nobody ever waited on it), nobody
    holding it open (ENXIO), or a full one (wake-ups pending already) all mean nothing to do."""
    try:
        fd = os.open(os.path.join(folder, WAKE), os.O_WRONLY | _FLAGS)
    except OSError:
        return
    try:
        os.write(fd, b"\0")
    except OSError:
        pass
    finally:
        os.close(fd)


class Doorbells:
    """What one consumer (a transport's polling loop) waits on: the FIFOs of the queues it
    consumes and a pipe of its own. `watch` when what it consumes changes, `wait` when it found
    no message; `ring_own` from any thread."""

    def __init__(self):
        self._own_read, self._own_write = os.pipe()
        for fd in (self._own_read, self._own_write):
            os.set_blocking(fd, False)
        self._fifos: dict[str, tuple[int, int, int]] = {}  # path -> (read end, write end, inode)
        self._watched: frozenset[str] = frozenset()
        self._poller = select.poll()
        self._lock = threading.Lock()
        self._closed = False
        self._poller.register(self._own_read, select.POLLIN)

    def ring_own(self) -> None:
        with self._lock:  # never a write to a closed descriptor's number, which may be reused
            if not self._closed:
                with suppress(BlockingIOError):  # full: a wake-up is pending
                    os.write(self._own_write, b"\0")

    def watch(self, folders) -> None:
        """Wait on the FIFOs of exactly these queue folders from now on."""
        wanted = frozenset(os.path.join(folder, WAKE) for folder in folders)
        if wanted == self._watched:
            return
        for path in self._watched - wanted:
            self._close(path)
        for path in wanted - self._watched:
            self._open(path)
        self._watched = wanted

    def check(self) -> None:
        """Open again any FIFO replaced since it was opened (its queue deleted and declared again)."""
        for path in self._watched:
            opened = self._fifos.get(path)
            try:
                current = os.stat(path).st_ino
            except OSError:
                current = None
            if opened is None or current != opened[2]:
                self._close(path)
                self._open(path)

    def wait(self, timeout: float) -> None:
        """Wait for a wake-up, at most `timeout` seconds, and take the wake-ups that came (a
        wake-up that comes while the caller looks for messages ends the next wait at once)."""
        for fd, _events in self._poller.poll(max(0, int(timeout * 1000))):
            with suppress(OSError):
                while os.read(fd, 512):
                    pass

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for path in list(self._fifos):
                self._close(path)
            for fd in (self._own_read, self._own_write):
                os.close(fd)
            self._watched = frozenset()

    def _open(self, path: str) -> None:
        """Open the FIFO at `path`, made if missing, with a write end of our own as well: a FIFO
        whose last writer closed reads as end-of-file, which would wake every wait at once."""
        with suppress(FileExistsError):
            try:
                os.mkfifo(path, 0o600)
            except FileNotFoundError:
                return  # the queue's folder is gone: its next declaration makes it again (`check`)
        try:
            read = os.open(path, os.O_RDONLY | _FLAGS)
        except OSError:
            return
        try:
            found = os.fstat(read)
            if not stat.S_ISFIFO(found.st_mode):
                raise OSError(f"{path} is not a FIFO")  # a plain file would always read as ready
            write = os.open(path, os.O_WRONLY | _FLAGS)
        except OSError:
            os.close(read)
            return
        inode = found.st_ino
        self._fifos[path] = (read, write, inode)
        self._poller.register(read, select.POLLIN)

    def _close(self, path: str) -> None:
        fds = self._fifos.pop(path, None)
        if fds is None:
            return
        with suppress(KeyError, ValueError):
            self._poller.unregister(fds[0])
        for fd in fds[:2]:
            with suppress(OSError):
                os.close(fd)
