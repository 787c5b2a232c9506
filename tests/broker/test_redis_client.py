"""The site's Redis transport (helloworld/transports/redis_client.py): kombu's, with one redis-py
client per channel, on the machine's real Redis."""

import os
import uuid

import pytest
from kombu import Connection

from helloworld.transports import redis_client

pytestmark = pytest.mark.broker_bound


@pytest.fixture
def connection(redis_url):
    with Connection(redis_url) as connection:
        yield connection


@pytest.fixture
def queue_name(connection):
    name = f"test-redis-client-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    yield name
    channel = connection.default_channel
    channel.client.delete(name)


def test_redis_urls_get_the_sites_transport(connection, redis_url):
    assert isinstance(connection.transport, redis_client.Transport)
    assert isinstance(Connection(redis_url.replace("redis://", "rediss://", 1)).transport, redis_client.Transport)


def test_a_channel_makes_one_client_for_every_command(connection):
    channel = connection.channel()
    try:
        first = channel._create_client()
        assert channel._create_client() is first
        assert first.connection_pool is channel.pool
        assert first.ping()
    finally:
        channel.close()


def test_messages_go_and_are_acknowledged_through_the_shared_client(connection, queue_name):
    queue = connection.SimpleQueue(queue_name)
    try:
        for number in range(3):
            queue.put({"number": number})
        received, channel = [], queue.channel
        for _ in range(3):
            message = queue.get(timeout=5)
            # The ack emulation's bookkeeping goes through the shared client: held until the ack...
            assert channel.client.hexists(channel.unacked_key, message.delivery_tag)
            received.append(message.payload["number"])
            message.ack()
            # ...and gone after it.
            assert not channel.client.hexists(channel.unacked_key, message.delivery_tag)
        assert received == [0, 1, 2]
    finally:
        queue.close()


def test_a_new_pool_gets_a_new_client(connection):
    """kombu drops a channel's pools after a fork and after a lost connection: the client that
    used the old pool must not outlive it."""
    channel = connection.channel()
    try:
        before = channel._create_client()
        channel._disconnect_pools()
        after = channel._create_client()
        assert after is not before
        assert after.connection_pool is channel.pool
        assert after.ping()
    finally:
        channel.close()
