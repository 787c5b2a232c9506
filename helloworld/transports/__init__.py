"""The site's kombu transports: the embedded broker (kombu's filesystem transport, made fast and tidy
for a worker and a web process sharing one folder on one machine), and kombu's Redis transport with
one client per channel (redis_client.py).

Plumbing, not part of the pattern to copy. The embedded broker exists so that `make run` (local
mode) needs no broker server; a deployment uses RabbitMQ or Redis, and a project built on this site
needs neither transport: kombu's own serve it (the Redis one here only saves CPU). Nothing outside
helloworld/brokers.py names them, and no other app in the process is affected: each is registered
under a URL scheme of its own, which only the site's settings ask for.

What it changes in kombu's transport, and why:

- Whole messages only. kombu creates a message's file under its final name and only then writes
  the body; a worker polling at that instant took the empty file and stopped with "Unrecoverable
  error: JSONDecodeError" (kombu issue #1551). Here a message is written under a name no reader
  matches and renamed into place (atomic on POSIX); a fanout exchange's file too.
- Queue order. kombu polls its queues round robin, so `high` had no precedence; here every poll
  starts at the first queue, as Redis does with `queue_order_strategy: priority`.
- One folder per queue, read through a cached listing (files.py): taking a message costs the same
  whatever the backlog, and a poll of a queue that has not changed costs one stat.
- Woken, not only polled (doorbell.py, transport.py). kombu sleeps the whole polling interval
  between polls, so a task sent to an idle worker waited half of it on average, and with a prefetch
  limit each acknowledgement waited for the next poll too. Here a producer rings the queue's
  doorbell (a FIFO in its folder) and an ack (from the pool's result thread) a pipe of the
  consumer's own, and either ends the wait at once: the interval bounds neither the latency nor
  the drain rate, and is only the fallback for a wake-up that never came.
- Queues that expire (expiry.py): auto-delete and `x-expires` queues whose consumer has gone are
  unbound and removed, so a monitor that left stops filling the folder.
- Nothing lost to a crash (claims.py). kombu's transport deletes a message as it hands it over, so
  a worker killed mid-task lost it even with acks_late; here it stays in the consumer's own folder
  until it is acknowledged, and a consumer that finds the owner dead puts it back on its queue.

Registered as the URL scheme `filesystem-ordered` (kombu finds transports by scheme; it refuses
import paths in URLs), and the Redis one as `hwredis`: the site keeps the platform's REDIS_URL as
given (`redis://`, `rediss://`) and names this transport in CELERY_BROKER_TRANSPORT
(helloworld.brokers.redis), so that any other Celery app or kombu connection in the same process,
given a `redis://` URL, keeps kombu's own transport. Every process of the site imports this through
the settings (helloworld.brokers) before it connects.
"""

from kombu.transport import TRANSPORT_ALIASES

from helloworld.transports.channel import Channel
from helloworld.transports.files import PARTIAL_SUFFIX, queue_folder, waiting, write_whole
from helloworld.transports.transport import Transport

SCHEME = "filesystem-ordered"
REDIS_SCHEME = "hwredis"

__all__ = [
    "PARTIAL_SUFFIX",
    "REDIS_SCHEME",
    "SCHEME",
    "Channel",
    "Transport",
    "queue_folder",
    "waiting",
    "write_whole",
]

# Names of their own, added beside kombu's: kombu's `redis`, `rediss` and `filesystem` stay kombu's.
TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
TRANSPORT_ALIASES.setdefault(REDIS_SCHEME, f"{__name__}.redis_client:Transport")
