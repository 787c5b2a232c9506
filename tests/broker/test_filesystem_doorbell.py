"""The embedded broker wakes a waiting consumer when a message arrives (helloworld/transports/doorbell.py),
long before its polling interval, and a consumer with nothing to do still sleeps between polls."""

import os
import threading
import time

import pytest
from kombu import Connection, Consumer, Producer, Queue

from helloworld.transports import doorbell

URL = "filesystem-ordered://"


def consuming(connection, received: list) -> Consumer:
    queue = Queue("hw.default", routing_key="hw.default")
    on_message = [lambda body, message: received.append(body)]
    return Consumer(connection.channel(), [queue], callbacks=on_message, accept=["json"])


def publish_later(options: dict, seconds: float, body: dict) -> threading.Timer:
    def send():
        with Connection(URL, transport_options=options) as other:  # another producer, as the web process is
            Producer(other.channel()).publish(body, routing_key="hw.default", declare=[Queue("hw.default")])

    timer = threading.Timer(seconds, send)
    timer.start()
    return timer


def test_a_message_sent_by_another_connection_wakes_the_waiting_consumer_at_once(options):
    options["polling_interval"] = 5.0
    with Connection(URL, transport_options=options) as connection:
        received = []
        with consuming(connection, received):
            for index in range(3):  # each wait is met in a different state: first, after a delivery
                publish_later(options, 0.2, {"index": index})
                started = time.monotonic()
                connection.drain_events(timeout=4)
                assert received[-1] == {"index": index}
                assert time.monotonic() - started < 1.5  # not the 5 s interval


def test_a_waiting_consumer_sleeps_between_polls_after_a_wake_up(options):
    """A FIFO whose last writer closed would read as end-of-file at every wait: the consumer must
    not spin on it once a producer has rung and gone."""
    options["polling_interval"] = 0.5
    with Connection(URL, transport_options=options) as connection:
        received = []
        with consuming(connection, received):
            with pytest.raises(TimeoutError):
                connection.drain_events(timeout=0.1)  # waiting on the doorbell from now on
            publish_later(options, 0, {"index": 0}).join()
            connection.drain_events(timeout=2)
            assert received == [{"index": 0}]
            cpu = time.thread_time()
            with pytest.raises(TimeoutError):
                connection.drain_events(timeout=1.5)
            assert time.thread_time() - cpu < 0.2


def test_ringing_a_queue_nobody_waits_on_does_nothing(tmp_path):
    doorbell.ring(tmp_path)  # no FIFO
    os.mkfifo(tmp_path / doorbell.WAKE)
    doorbell.ring(tmp_path)  # a FIFO nobody holds open
    assert not (tmp_path / "anything else").exists()


def test_a_queue_declared_again_gets_a_doorbell_that_works(tmp_path):
    bells = doorbell.Doorbells()
    try:
        bells.watch([tmp_path])
        os.remove(tmp_path / doorbell.WAKE)  # the queue deleted and declared again meanwhile
        bells.check()
        bells.wait(0)  # nothing pending
        doorbell.ring(tmp_path)
        started = time.monotonic()
        bells.wait(5)
        assert time.monotonic() - started < 1
    finally:
        bells.close()
