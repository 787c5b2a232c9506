"""The site's queues as the broker holds them: how many tasks wait, how long the oldest has waited,
and emptying one queue while marking every task dropped.

Each broker tells a different amount:
- Redis: a list per queue (plus kombu's priority sub-lists, `<queue>\\x06\\x16<n>`): LLEN is the
  depth; the oldest message is the list's tail (LPUSH in, BRPOP out), and its `sent_at` header
  (stamped by `tasks_app.signals.stamp_sent_at` on every publish, beat's included) gives its age.
- RabbitMQ: a passive queue.declare answers the ready count and the consumers; AMQP offers no
  way to look at a message without taking it, so the oldest task's age is unknown.
- filesystem: one file per message in the queue's folder (helloworld.transports), names sorting
  oldest first; the depth is a count of names, the oldest file's modification time is its age.
"""

from __future__ import annotations

import json
import time
from contextlib import suppress
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.utils import timezone
from kombu import Queue

from helloworld import brokers, transports

SENT_AT_HEADER = "sent_at"  # seconds since the epoch, stamped when the task is published
# Set on a message whose record the site committed before sending it (services, beat's runs): the
# worker then skips the read that looks for a record of a task sent from outside (worker.outside).
RECORDED_HEADER = "site_recorded"
# One purge stops after this many messages or seconds (each takes a broker round trip and a result
# row: 1 to 3 ms here, more to a hosted broker), so that it ends well within the web server's
# 25 s request timeout however full the queue; the page says when more remain, and emptying again
# takes the next batch.
PURGE_LIMIT = 5000
PURGE_SECONDS = 10.0


@dataclass(frozen=True)
class QueueState:
    name: str  # the site's short name: high, default, low
    broker_name: str  # with the project's prefix
    depth: int | None  # tasks waiting (None when the broker could not be asked)
    oldest_age_seconds: float | None  # None when empty or when the broker cannot tell
    consumers: int | None  # RabbitMQ counts consumers; the other brokers cannot tell
    error: str = ""

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "broker_name": self.broker_name,
            "depth": self.depth,
            "oldest_age_seconds": None if self.oldest_age_seconds is None else round(self.oldest_age_seconds, 3),
            "consumers": self.consumers,
            "error": self.error or None,
        }


def broker_kind() -> str:
    """The current app's broker: settings.BROKER.kind in the site; the tests point the app at each
    broker in turn, so ask the app rather than the settings."""
    return brokers.kind_of(current_app.conf.broker_url)


def age_known(kind: str) -> bool:
    """Whether the broker can tell how long the oldest task has waited (RabbitMQ cannot)."""
    return kind != "rabbitmq"


def _age(sent_at, now: float) -> float | None:
    if isinstance(sent_at, int | float) and not isinstance(sent_at, bool):
        return max(0.0, now - sent_at)
    return None


def _redis_state(channel, name: str, now: float) -> tuple[int, float | None]:
    client = channel.client
    keys = [channel._q_for_pri(name, step) for step in channel.priority_steps]
    keys = list(dict.fromkeys(keys))  # steps 0..2 all map to the plain list name
    with client.pipeline() as pipe:
        for key in keys:
            pipe.llen(key)
            pipe.lindex(key, -1)
        replies = pipe.execute()
    depth, ages = 0, []
    for length, tail in zip(replies[::2], replies[1::2], strict=True):
        depth += length or 0
        if tail:
            try:
                headers = json.loads(tail).get("headers") or {}
            except (ValueError, AttributeError):
                continue  # not a kombu message: counted, but its age is unknown
            age = _age(headers.get(SENT_AT_HEADER), now)
            if age is not None:
                ages.append(age)
    return depth, max(ages) if ages else None


def _filesystem_state(connection, name: str, now: float) -> tuple[int, float | None]:
    folder = transports.queue_folder(connection.transport_options, name)
    names = transports.waiting(folder)
    for oldest in names:  # names sort oldest first: one stat, whatever the depth
        try:
            return len(names), max(0.0, now - (folder / oldest).stat().st_mtime)
        except FileNotFoundError:
            continue  # taken by a worker while we looked
    return len(names), None


def _rabbitmq_state(connection, name: str) -> tuple[int, int]:
    channel = connection.channel()  # a failed passive declare closes its channel: use one of its own
    try:
        _name, depth, consumers = channel.queue_declare(queue=name, passive=True)
    except connection.channel_errors:
        return 0, 0  # not declared yet: no worker and no task ever used it
    finally:
        with suppress(*connection.channel_errors, *connection.connection_errors):
            channel.close()  # already closed by the broker after a failed passive declare
    return depth, consumers


def states() -> list[QueueState]:
    """Every site queue, in serving order (high first); a broker that cannot be reached gives
    each queue `depth=None` and the error, never an exception."""
    kind = broker_kind()
    result = []
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
            for short, name in settings.QUEUES.items():
                now = time.time()
                consumers = None
                age = None
                if kind == "redis":
                    depth, age = _redis_state(connection.default_channel, name, now)
                elif kind == "filesystem":
                    depth, age = _filesystem_state(connection, name, now)
                else:
                    depth, consumers = _rabbitmq_state(connection, name)
                result.append(QueueState(short, name, depth, age, consumers))
    except Exception as exc:  # any failure to reach the broker is the answer, whatever its class
        problem = f"{exc.__class__.__name__}: {exc}"
        return [QueueState(short, name, None, None, None, problem) for short, name in settings.QUEUES.items()]
    return result


@dataclass(frozen=True)
class Purged:
    queue: str
    dropped: int
    task_ids: list[str]
    more_left: bool  # stopped at PURGE_LIMIT or PURGE_SECONDS


def drop_reason(queue: str, by: str, when=None) -> str:
    when = timezone.localtime(when or timezone.now())
    return f"Dropped from queue {queue} by {by} at {when:%Y-%m-%d %H:%M:%S %Z}, before any worker ran it."


def purge(short_name: str, by: str) -> Purged:
    """Empty one site queue message by message, marking each task REVOKED with the reason (who,
    when, which queue) before its message is acknowledged, so its status page never claims that
    it is still queued. A plain queue.purge() would drop the messages without saying which."""
    name = settings.QUEUES[short_name]  # KeyError for a name that is not a site queue
    reason = drop_reason(name, by)
    backend = current_app.backend
    task_ids = []
    dropped = 0
    deadline = time.monotonic() + PURGE_SECONDS
    more_left = False
    with current_app.connection_for_write() as connection:
        queue = Queue(name, routing_key=name).bind(connection.default_channel)
        while True:
            if dropped >= PURGE_LIMIT or time.monotonic() > deadline:
                more_left = True
                break
            message = queue.get(no_ack=False, accept=["json"])
            if message is None:
                break
            task_id = (message.headers or {}).get("id")
            if task_id:
                backend.mark_as_revoked(task_id, reason=reason)
                task_ids.append(task_id)
            message.ack()
            dropped += 1
    return Purged(name, dropped, task_ids, more_left=more_left)
