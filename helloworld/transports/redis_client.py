"""kombu's Redis transport, with one redis-py client per channel instead of one per command.

kombu 5.7 builds a new `redis.Redis` for every publish and for every acknowledgement's
bookkeeping (`Channel.conn_or_acquire`), and redis-py copies its table of response callbacks
into each new client: a quarter of the worker's main process's CPU per task (1.96 ms against 1.44
with one client per channel, `python -m bench.compare`). A client holds no connection of its own
(each command takes one from the channel's pool and gives it back), so one client per channel
serves every caller; it is made again whenever kombu replaces the channel's pool (after a fork,
or a lost connection).
"""

from kombu.transport import redis


class Channel(redis.Channel):
    _client_for_pool = None  # (pool, client)

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool
        if self._client_for_pool is None or self._client_for_pool[0] is not pool:
            self._client_for_pool = (pool, super()._create_client())
        return self._client_for_pool[1]


class Transport(redis.Transport):
    Channel = Channel
