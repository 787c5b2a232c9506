"""The transport of the embedded broker: its polling loop and housekeeping (see the package's
docstring for the why; the channel is channel.py)."""

from __future__ import annotations

from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.log import get_logger
from kombu.transport import filesystem

from helloworld.transports import claims, doorbell, expiry, files
from helloworld.transports.channel import Channel

logger = get_logger(__name__)


class Transport(filesystem.Transport):
    """Polls like kombu's virtual transport, but between polls waits on the doorbells of the queues
    it consumes and of its own acks (doorbell.py) instead of a plain sleep, keeps the expiring
    queues (leases renewed, expired ones swept) and puts back what dead consumers had taken
    (claims.py)."""

    Channel = Channel

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self._doorbells: doorbell.Doorbells | None = None  # made by the first wait: a producer never waits
        self._rewatch = True  # the queues consumed changed: their doorbells to wait on with them
        self._next_renewal = 0.0
        self._next_sweep = 0.0
        self._swept_dangling = False

    def consumers_changed(self) -> None:
        self._rewatch = True

    def wake_up(self) -> None:
        """A prefetch slot is free again (an ack, from any thread): end the current wait."""
        doorbells = self._doorbells
        if doorbells is not None:
            doorbells.ring_own()

    def drain_events(self, connection, timeout=None):
        started = monotonic()
        interval = self.polling_interval
        if self._doorbells is None:
            self._doorbells = doorbell.Doorbells()
        doorbells = self._doorbells
        while True:
            self._housekeeping()
            if self._rewatch:
                self._rewatch = False
                doorbells.watch(folder for channel in self.channels for folder in channel.consumed_folders())
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
                doorbells.wait(interval if timeout is None else min(interval, timeout - elapsed))

    def close_connection(self, connection):
        super().close_connection(connection)
        doorbells, self._doorbells = self._doorbells, None
        if doorbells is not None:
            doorbells.close()

    def _housekeeping(self) -> None:
        now = monotonic()
        if now < self._next_renewal and now < self._next_sweep:
            return
        try:
            if now >= self._next_renewal:
                self._next_renewal = now + expiry.RENEW_EVERY
                for channel in list(self.channels):
                    channel.renew_leases()
                if self._doorbells is not None:
                    self._doorbells.check()
                self._rewatch = True  # a safety net: queues deleted, declared again, their consumers moved
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
