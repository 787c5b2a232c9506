"""The site's Redis transport (helloworld/transports/redis_client.py): kombu's, with one redis-py
client per channel, on the machine's real Redis; the site's settings ask for it by a name of its own,
and any other app in the process keeps kombu's."""

import os
import subprocess
import sys
import uuid

import pytest
from celery import Celery
from kombu import Connection
from kombu.transport import redis as kombu_redis

from helloworld import brokers
from helloworld.transports import redis_client
from tests.support.processes import ROOT

pytestmark = pytest.mark.broker_bound


@pytest.fixture
def site_broker(redis_url, tmp_path) -> brokers.Broker:
    """The broker the site's settings make of a Redis URL in the environment."""
    return brokers.from_environ({"REDIS_URL": redis_url}, tmp_path)


@pytest.fixture
def connection(site_broker):
    with Connection(site_broker.url, transport=site_broker.transport) as connection:
        yield connection


@pytest.fixture
def queue_name(connection):
    name = f"test-redis-client-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    yield name
    channel = connection.default_channel
    channel.client.delete(name)


def test_the_sites_broker_gets_the_sites_transport_and_keeps_the_url_as_given(site_broker, redis_url):
    assert site_broker.url == redis_url
    app = Celery("site", set_as_current=False)
    app.conf.broker_url, app.conf.broker_transport = site_broker.url, site_broker.transport
    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, redis_client.Transport)
        assert connection.default_channel.client.ping()


def test_other_apps_in_the_process_keep_kombus_redis_transport(site_broker, redis_url):
    for url in (redis_url, redis_url.replace("redis://", "rediss://", 1)):
        assert type(Connection(url).transport) is kombu_redis.Transport
    stock = Celery("stock", broker=redis_url, set_as_current=False)
    with stock.connection_for_write() as connection:
        assert type(connection.transport) is kombu_redis.Transport
        assert connection.default_channel.client.ping()


def test_a_site_process_on_redis_takes_its_transport_and_a_stock_connection_beside_it_kombus(redis_url, tmp_path):
    """The settings as a site process loads them (REDIS_URL set): the site's app takes the site's
    transport, a stock kombu connection in the same process kombu's."""
    script = (
        "from kombu import Connection; from helloworld.celery import app; "
        "print(type(app.connection_for_write().transport).__module__); "
        f"print(type(Connection({redis_url!r}).transport).__module__)"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HELLOWORLD_", "CELERY_", "REDIS"))}
    env.update(HELLOWORLD_LOCAL="1", HELLOWORLD_DATA_DIR=str(tmp_path), REDIS_URL=redis_url)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # The last two lines: the shell may first say what it imported by itself.
    assert result.stdout.split("\n")[-3:-1] == ["helloworld.transports.redis_client", "kombu.transport.redis"]


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
