"""kombu's filesystem transport, serving the queues in the order the worker lists them.

The stock transport polls its queues round robin, carrying on from the queue after the last one
it took from, so `high` gets no precedence: with tasks waiting in `high` and `default` a worker
took them alternately (tests/test_queue_order.py shows it). This one starts every poll at the
first queue (`high`), so a task in an earlier queue is always taken before one in a later queue,
as the Redis transport does with `queue_order_strategy: priority`. Nothing else changes: the
same folders, files and locking, so processes using either class share the queues.

Registered as the URL scheme `filesystem-ordered` (kombu finds transports by scheme; it refuses
import paths in URLs). Every process of the site imports this through the settings
(helloworld.brokers) before it connects.
"""

from queue import Empty

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.scheduling import FairCycle

SCHEME = "filesystem-ordered"


class InOrderCycle(FairCycle):
    def get(self, callback, **kwargs):
        self.pos = 0  # FairCycle would start where the previous poll stopped
        return super().get(callback, **kwargs)


class Channel(filesystem.Channel):
    def _reset_cycle(self):
        self._cycle = InOrderCycle(self._get_and_deliver, self._active_queues, Empty)


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
