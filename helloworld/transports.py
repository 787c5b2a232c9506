"""kombu's filesystem transport, made safe for a worker and a web process sharing one folder.

Two changes to the stock transport, nothing else (the same folders and file names, so the
dashboard's queue depths and purge read them as kombu does):

- Queue order. The stock transport polls its queues round robin, carrying on from the queue
  after the last one it took from, so `high` gets no precedence: with tasks waiting in `high`
  and `default` a worker took them alternately (tests/test_queue_order.py shows it). This one
  starts every poll at the first queue (`high`), so a task in an earlier queue is always taken
  before one in a later queue, as the Redis transport does with `queue_order_strategy: priority`.
- Whole messages only. The stock `_put` creates the message file under its final name and only
  then writes the body, and its lock is advisory: a worker polling at that instant moves the
  still-empty file away, fails to decode it and stops with "Unrecoverable error: JSONDecodeError"
  (kombu issue #1551). This one writes the body to a name no reader matches
  and renames it into place, which is atomic on POSIX, so a reader sees a message whole or not
  at all (tests/test_filesystem_transport.py). The same holds for a fanout exchange's file
  (remote control's bindings), which kombu also creates empty before it locks and writes it.

Registered as the URL scheme `filesystem-ordered` (kombu finds transports by scheme; it refuses
import paths in URLs). Every process of the site imports this through the settings
(helloworld.brokers) before it connects.
"""

import os
import uuid
from contextlib import suppress
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps
from kombu.utils.scheduling import FairCycle

SCHEME = "filesystem-ordered"

# Ends the name a file is written under before it is renamed into place: kombu's readers match
# `name.partition(".")[2] == f"{queue}.msg"` and open exchange files by exact name, so no
# reader ever matches a name ending in this.
PARTIAL_SUFFIX = ".part"


def write_whole(path, body: bytes, *, exclusive: bool = False) -> None:
    """Write `body` to `path` so that readers see it complete or not at all: under a name no
    reader matches, then renamed into place (atomic on POSIX). `exclusive` hard-links instead,
    which raises FileExistsError if `path` already exists, and leaves it untouched."""
    partial = f"{path}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}"
    try:
        with open(partial, "wb") as handle:
            handle.write(body)
        (os.link if exclusive else os.replace)(partial, path)
    except BaseException:
        with suppress(OSError):
            os.remove(partial)
        raise
    if exclusive:
        os.remove(partial)  # the link is the file now


class InOrderCycle(FairCycle):
    def get(self, callback, **kwargs):
        self.pos = 0  # FairCycle would start where the previous poll stopped
        return super().get(callback, **kwargs)


class Channel(filesystem.Channel):
    def _reset_cycle(self):
        self._cycle = InOrderCycle(self._get_and_deliver, self._active_queues, Empty)

    def _put(self, queue, payload, **kwargs):
        """Put a message on `queue`, where readers see it only once it is complete."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"  # kombu's naming
        final = os.path.join(self.data_folder_out, name)
        try:
            write_whole(final, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        """Bind `queue` to a fanout `exchange`: a new exchange file appears whole and only once
        (write_whole's exclusive link); an existing one gets kombu's locked update."""
        file = self._exchange_file(exchange)
        if not file.exists():
            entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
            try:
                self.control_folder.mkdir(exist_ok=True)
                write_whole(file, str_to_bytes(dumps([entry])), exclusive=True)
                return
            except FileExistsError:
                pass  # another process created it meanwhile: add to it as kombu does
            except OSError as exc:
                raise ChannelError(f"Cannot open {file}") from exc
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
