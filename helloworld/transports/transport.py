"""The transport of the embedded broker: its polling loop and housekeeping (see the package's
docstring for the why; the channel is channel.py)."""

from __future__ import annotations

import threading
from contextlib import suppress
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.log import get_logger
from kombu.transport import filesystem

from helloworld.transports import claims, expiry, files
from helloworld.transports.channel import Channel

logger = get_logger(__name__)


class Transport(filesystem.Transport):
    """Polls like kombu's virtual transport, but sleeps on an event an ack sets instead of a plain
    sleep, keeps the expiring queues (leases renewed, expired ones swept) and puts back what dead
    consumers had taken (claims.py)."""

    Channel = Channel

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        # Released when an ack frees a prefetch slot, held otherwise: a bare lock is one futex call
        # to wait on (an Event builds a Condition each wait), which five waits a second make count.
        self._bell = threading.Lock()
        self._bell.acquire()
        self._next_renewal = 0.0
        self._next_sweep = 0.0
        self._swept_dangling = False

    def wake_up(self) -> None:
        with suppress(RuntimeError):  # already released: a wake is pending
            self._bell.release()

    def drain_events(self, connection, timeout=None):
        started = monotonic()
        interval = self.polling_interval
        while True:
            self._housekeeping()
            self._bell.acquire(blocking=False)  # before the poll: an ack during it wakes the wait below
            # kombu's poll walks every channel and queue through its cycles (tens of microseconds,
            # five times a second when idle); a stat per queue says first whether it can find anything.
            if any(channel.has_news() for channel in self.channels):
                try:
                    self.cycle.get(self._deliver, timeout=timeout)
                    return
                except Empty:
                    pass
            elapsed = monotonic() - started
            if timeout is not None and elapsed >= timeout:
                raise TimeoutError()
            if interval is not None:
                self._bell.acquire(timeout=interval if timeout is None else min(interval, timeout - elapsed))

    def _housekeeping(self) -> None:
        now = monotonic()
        if now < self._next_renewal and now < self._next_sweep:
            return
        try:
            if now >= self._next_renewal:
                self._next_renewal = now + expiry.RENEW_EVERY
                for channel in list(self.channels):
                    channel.renew_leases()
            if now >= self._next_sweep:
                self._next_sweep = now + expiry.SWEEP_EVERY
                options = self.client.transport_options
                gone = expiry.sweep(
                    files.queues_folder(options),
                    Path(options.get("control_folder", "control")),
                    dangling=not self._swept_dangling,
                )
                self._swept_dangling = True
                if gone:
                    logger.info("Removed %d queue(s) whose consumers had gone: %s", len(gone), ", ".join(gone))
                back = claims.recover(options.get("processed_folder", "processed"), options)
                if back:
                    logger.warning(
                        "Put back %d message(s) that a consumer took and died before acknowledging: %s",
                        len(back),
                        ", ".join(back),
                    )
        except OSError as exc:  # the broker's folders are shared: never let tidying stop a worker
            logger.warning("Broker housekeeping failed: %r", exc)
