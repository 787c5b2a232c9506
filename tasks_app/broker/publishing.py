"""Publishing many task messages at once, in as few broker round trips as the broker allows.

`services.enqueue_many` calls this; one task at a time goes through `Task.apply_async` as usual.

- Redis: kombu 5.7's `Producer.batch()` buffers every LPUSH in one pipeline and sends it in one
  round trip. kombu only batches when redis-py would not replay a pipeline that timed out (a
  replay could push every message twice), so the connection made here turns `retry_on_timeout`
  off; the site's own connections keep it for single publishes.
- RabbitMQ: with publisher confirms on (CloudAMQP's advice, `brokers.rabbitmq`), py-amqp waits
  for the broker's ack after every single publish: one round trip per message. Here the channel
  is put in confirm mode by hand, every message is written, and the acks (RabbitMQ acknowledges
  many delivery tags in one frame) are drained once at the end. A nack or a missing ack fails
  the whole call.
- Filesystem: one file per message is how that transport stores messages; there is no batch.

Every message still goes through `Task.apply_async` (with our producer), so its headers, routing
and `before_task_publish` signal are exactly those of a single enqueue.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from celery import current_app
from kombu.common import maybe_declare
from kombu.exceptions import KombuError, OperationalError

from helloworld import brokers
from tasks_app.broker.queues import RECORDED_HEADER


class PublishFailed(Exception):
    """The broker did not confirm every message; some may have been delivered."""


@dataclass(frozen=True)
class Outgoing:
    """One task message to send."""

    task: object  # a Celery task
    args: list
    kwargs: dict
    task_id: str
    queue: str


# What the bulk connection changes from the site's transport options, per broker (see above).
BATCH_OVERRIDES = {"redis": {"retry_on_timeout": False}, "rabbitmq": {"confirm_publish": False}}
CONFIRM_TIMEOUT = 30  # seconds to wait for RabbitMQ to confirm the last message


def publish_many(messages: Sequence[Outgoing], app=None) -> None:
    """Send every message, or raise PublishFailed (OperationalError when the broker is unreachable)."""
    if not messages:
        return
    app = app or current_app
    options, wants_confirms = _batch_options(app)
    with app.connection_for_write(transport_options=options) as connection:
        # As a single publish would: Celery's publish retry policy (a few tries within a second or
        # so), not the worker's hundred connection retries, so a request fails fast when the broker is down.
        connection.ensure_connection(**app.conf.task_publish_retry_policy)
        producer = connection.Producer()
        confirms = _Confirms(producer.channel) if wants_confirms else None
        # Declare each queue once here, not once per message as apply_async would (declare=[] in _write):
        # a fifth of the time of a large batch went to those repeated checks.
        for name in {message.queue for message in messages}:
            maybe_declare(app.amqp.queues[name], producer.channel)
        try:
            _write(producer, messages)
            if confirms:
                confirms.wait(connection, len(messages))
        except OperationalError:
            raise
        except (KombuError, OSError) as exc:
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc


def _batch_options(app) -> tuple[dict, bool]:
    """The bulk connection's transport options (the site's, with BATCH_OVERRIDES), and whether
    the site asks RabbitMQ for publisher confirms (then this call collects them itself)."""
    options = dict(app.conf.broker_transport_options or {})
    kind = brokers.kind_of(app.conf.broker_write_url or app.conf.broker_url)
    wants_confirms = kind == "rabbitmq" and bool(options.get("confirm_publish"))
    options.update(BATCH_OVERRIDES.get(kind, {}))
    return options, wants_confirms


def _write(producer, messages: Sequence[Outgoing]) -> None:
    # max_size counts Redis commands: one LPUSH per message, so all of them in one pipeline.
    with producer.batch(max_size=len(messages)):
        for message in messages:
            message.task.apply_async(
                message.args,
                message.kwargs,
                task_id=message.task_id,
                queue=message.queue,
                producer=producer,
                declare=[],
                headers={RECORDED_HEADER: True},  # send_many committed its record first
            )


class _Confirms:
    """RabbitMQ publisher confirms, collected for many messages at once.

    Acks may arrive while messages are still being written (py-amqp dispatches them whenever it
    reads the socket), so every ack and nack is recorded from the moment confirm mode is on.
    """

    def __init__(self, channel):
        self.acked: set[int] = set()
        self.nacked: set[int] = set()
        self.floor = 0  # every tag up to here is settled (acks with `multiple`)
        channel.confirm_select()  # from now on the broker numbers our publishes 1, 2, 3...
        channel.events["basic_ack"].add(lambda tag, multiple: self._settle(self.acked, tag, multiple))
        channel.events["basic_nack"].add(lambda tag, multiple: self._settle(self.nacked, tag, multiple))

    def _settle(self, into: set[int], tag: int, multiple: bool) -> None:
        if multiple:
            into.update(t for t in range(self.floor + 1, tag + 1) if t not in self.acked and t not in self.nacked)
            self.floor = max(self.floor, tag)
        else:
            into.add(tag)

    def wait(self, connection, count: int) -> None:
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        while len(self.acked) + len(self.nacked) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishFailed(
                    f"RabbitMQ confirmed {len(self.acked)} of {count} messages within {CONFIRM_TIMEOUT} s"
                )
            try:
                connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue
        if self.nacked:
            raise PublishFailed(f"RabbitMQ refused {len(self.nacked)} of {count} messages (basic.nack)")
