"""The channel of the embedded broker (see the package's docstring for the why; the transport is
transport.py)."""

from __future__ import annotations

import os
from pathlib import Path
from queue import Empty

from kombu.exceptions import ChannelError
from kombu.log import get_logger
from kombu.transport import filesystem
from kombu.transport.base import to_rabbitmq_queue_arguments
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads
from kombu.utils.scheduling import FairCycle

from helloworld.transports import claims, doorbell, expiry, files

logger = get_logger(__name__)


class InOrderCycle(FairCycle):
    def get(self, callback, **kwargs):
        self.pos = 0  # FairCycle would start where the previous poll stopped
        return super().get(callback, **kwargs)


class Channel(filesystem.Channel):
    def __init__(self, connection, **kwargs):
        self._readers: dict[str, files.QueueReader] = {}
        self._lifetimes: dict[str, float] = {}  # the expiring queues this channel declared
        self._adopted: set[str] = set()
        self._no_ack_queues: set[str] = set()  # consumed without acknowledgements: nothing to keep
        self._claimed: dict[str, Path] = {}  # delivery tag -> the message's file until it is acknowledged
        super().__init__(connection, **kwargs)
        self.queues_folder = files.queues_folder(self.transport_options)
        for folder in (self.data_folder_out, self.processed_folder, self.queues_folder):
            os.makedirs(folder, exist_ok=True)

    def _folder(self, queue) -> Path:
        try:
            return files.queue_folder(self.transport_options, queue)
        except ValueError as exc:
            raise ChannelError(str(exc)) from None

    def _reader(self, queue) -> files.QueueReader:
        reader = self._readers.get(queue)
        if reader is None:
            reader = self._readers[queue] = files.QueueReader(self._folder(queue))
        return reader

    def _reset_cycle(self):
        self._cycle = InOrderCycle(self._get_and_deliver, self._active_queues, Empty)

    # --- queues -------------------------------------------------------------------------------

    def prepare_queue_arguments(self, arguments, **kwargs):
        """Pass a queue's `expires` (and `message_ttl`, ...) on as AMQP's `x-` arguments, as the Redis
        transport does: kombu's default drops them, and expiry.py needs `x-expires`."""
        return to_rabbitmq_queue_arguments(arguments, **kwargs)

    def _new_queue(self, queue, **kwargs):
        """Declare `queue`: its folder, its lease if it expires (expiry.py), and any messages
        the flat layout of older versions left for it."""
        folder = self._folder(queue)
        seconds = expiry.lifetime(**kwargs)
        try:
            expiry.declare(folder, seconds)
            if queue not in self._adopted:
                self._adopted.add(queue)
                files.adopt_legacy(self.data_folder_in, folder, queue)
        except OSError as exc:
            raise ChannelError(f"Cannot declare queue {queue!r} in {folder}") from exc
        if seconds is None:
            self._lifetimes.pop(queue, None)
        else:
            self._lifetimes[queue] = seconds

    def _size(self, queue):
        return len(files.waiting(self._folder(queue)))

    def _purge(self, queue):
        folder = self._folder(queue)
        count = 0
        for name in files.waiting(folder):
            try:
                os.remove(folder / name)
            except FileNotFoundError:
                continue  # taken by a reader meanwhile
            count += 1
        self._reader(queue).forget()
        return count

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        """Delete `queue`: unbound from `exchange` (kombu), then its folder and messages."""
        super()._delete(queue, exchange, routing_key, pattern, *args, **kwargs)
        expiry.remove_folder(self._folder(queue))
        self._lifetimes.pop(queue, None)
        self._readers.pop(queue, None)

    def renew_leases(self) -> None:
        """Renew the lease of every expiring queue this channel consumes; one whose lease is gone
        expired while this process was not polling (stopped, or stalled for its lifetime), so it
        is declared and bound again (what a consumer reconnecting to AMQP would do)."""
        for queue in set(self._active_queues):
            seconds = self._lifetimes.get(queue)
            if seconds is None:
                continue
            folder = self._folder(queue)
            if expiry.renew(folder):
                continue
            logger.warning("Queue %s expired while its consumer was away; declaring it again", queue)
            expiry.declare(folder, seconds)
            self._reader(queue).forget()
            for exchange, routing_key, arguments in list(self.state.queue_bindings(queue)):
                meta = self.typeof(exchange).prepare_bind(queue, exchange, routing_key, arguments)
                self._queue_bind(exchange, *meta)

    # --- messages -----------------------------------------------------------------------------

    def _put(self, queue, payload, **kwargs):
        """Put a message on `queue`, where readers see it only once it is complete. A queue whose
        folder is missing (never declared by this process's peers, or deleted) gets one, so that
        a task sent to it is kept rather than dropped."""
        folder = self._folder(queue)
        final = os.path.join(folder, files.message_name())
        body = str_to_bytes(dumps(payload))
        try:
            try:
                files.write_whole(final, body, staging=self.data_folder_out)
            except FileNotFoundError:
                folder.mkdir(parents=True, exist_ok=True)
                files.write_whole(final, body, staging=self.data_folder_out)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc
        doorbell.ring(folder)

    def _get(self, queue):
        """Take the oldest message of `queue`: renamed out of the queue's folder first (of two
        readers, one rename wins), then read. A message that will be acknowledged stays claimed
        by this process until it is (claims.py), so that a worker killed mid-task loses nothing."""
        reader = self._reader(queue)
        keep = queue not in self._no_ack_queues and not self.store_processed
        while (name := reader.next_name()) is not None:
            source = os.path.join(reader.folder, name)
            try:
                if keep:
                    claimed = claims.of_this_process(self.processed_folder).take(source, queue, name)
                else:
                    claimed = os.path.join(self.processed_folder, name)
                    os.rename(source, claimed)
            except FileNotFoundError:
                continue  # another reader took it first
            try:
                with open(claimed, "rb") as handle:
                    body = handle.read()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {claimed!r} from queue.") from exc
            try:
                payload = loads(bytes_to_str(body))
            except ValueError:
                os.remove(claimed)  # never deliverable: not to be handed back after a crash either
                raise
            tag = payload.get("properties", {}).get("delivery_tag") if keep else None
            if tag:
                self._claimed[tag] = claimed
            elif not self.store_processed:
                os.remove(claimed)
            return payload
        raise Empty()

    def _release(self, delivery_tag) -> None:
        claimed = self._claimed.pop(delivery_tag, None)
        if claimed is not None:
            claims.release(claimed)

    def _restore(self, message):
        """Put an unacknowledged message back on its queue (kombu: a closing channel's, a rejected
        one with requeue), then forget its claim: a copy is queued before the claim goes."""
        super()._restore(message)
        self._release(message.delivery_tag)

    def basic_consume(self, queue, no_ack, *args, **kwargs):
        if no_ack:
            self._no_ack_queues.add(queue)
        result = super().basic_consume(queue, no_ack, *args, **kwargs)
        if queue in self._lifetimes:
            expiry.renew(self._folder(queue))
        self._consumers_changed()
        return result

    def basic_cancel(self, consumer_tag):
        queue = self._tag_to_queue.get(consumer_tag)
        super().basic_cancel(consumer_tag)
        if queue not in self._tag_to_queue.values():
            self._no_ack_queues.discard(queue)
        self._consumers_changed()

    def basic_get(self, queue, no_ack=False, **kwargs):
        message = super().basic_get(queue, no_ack=no_ack, **kwargs)
        if message is not None and no_ack:
            self._release(message.delivery_tag)
        return message

    def basic_ack(self, delivery_tag, multiple=False):
        super().basic_ack(delivery_tag, multiple=multiple)
        self._release(delivery_tag)
        self._wake_transport()

    def basic_reject(self, delivery_tag, requeue=False):
        super().basic_reject(delivery_tag, requeue=requeue)
        self._release(delivery_tag)
        self._wake_transport()

    def consumed_folders(self) -> list[Path]:
        """The folders of the queues this channel consumes (their doorbells wake its transport)."""
        return [self._folder(queue) for queue in self._active_queues] if self._consumers else []

    def has_news(self) -> bool:
        """Whether polling this channel could deliver anything (the cheap check before a poll)."""
        if not self._consumers or not self.qos.can_consume():
            return False
        return any(self._reader(queue).has_news() for queue in self._active_queues)

    def _consumers_changed(self) -> None:
        changed = getattr(self.connection, "consumers_changed", None)
        if changed is not None:
            changed()

    def _wake_transport(self) -> None:
        """A prefetch slot is free again: let the polling loop take the next message now."""
        wake_up = getattr(self.connection, "wake_up", None)
        if wake_up is not None:
            wake_up()

    # --- exchanges ----------------------------------------------------------------------------

    def queue_bind(self, queue, exchange=None, routing_key="", arguments=None, **kwargs):
        """kombu's, except that a binding this process already made is written to the exchange's
        file again: a sweep (by any process) may have removed it since, when its queue's consumer
        was away, and kombu, remembering the binding in memory, would never write it back (a worker
        restarted in the same process, or a second ping from one web process, then hears nothing)."""
        exchange = exchange or "amq.direct"
        if self.supports_fanout and self.state.has_binding(queue, exchange, routing_key):
            meta = self.typeof(exchange).prepare_bind(queue, exchange, routing_key, arguments)
            self._queue_bind(exchange, *meta)  # kombu's update adds it only if it is missing
            return
        super().queue_bind(queue, exchange, routing_key, arguments, **kwargs)

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        """Bind `queue` to an `exchange`: a new exchange file appears whole and only once
        (write_whole's exclusive link); an existing one gets kombu's locked update."""
        file = self._exchange_file(exchange)
        if not file.exists():
            entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
            try:
                self.control_folder.mkdir(exist_ok=True)
                files.write_whole(file, str_to_bytes(dumps([entry])), exclusive=True)
                return
            except FileExistsError:
                pass  # another process created it meanwhile: add to it as kombu does
            except OSError as exc:
                raise ChannelError(f"Cannot open {file}") from exc
        super()._queue_bind(exchange, routing_key, pattern, queue)
