"""The embedded broker keeps a message a consumer took until it is acknowledged (helloworld/
transports/claims.py): a consumer killed before its ack leaves it for the next consumer to put
back, a live one keeps it, and an ack, a reject or a clean close leave nothing behind."""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection, Consumer, Producer, Queue

from helloworld.transports import expiry, files
from tests.support import processes
from tests.support.waiting import wait_for

URL = "filesystem-ordered://"
QUEUE = Queue("hw.default", routing_key="hw.default")

# A consumer in a process of its own: takes one message without acknowledging it, forks a child
# (as a prefork worker's pool is), prints both pids and sleeps until it is killed.
CONSUMER = """
import json, os, sys, time
from kombu import Connection, Consumer, Queue
import helloworld.transports  # registers the scheme
options = json.loads(sys.argv[1])
with Connection("filesystem-ordered://", transport_options=options) as connection:
    channel = connection.channel()
    channel.basic_qos(0, 1, False)
    taken = []
    queue = Queue("hw.default", routing_key="hw.default")
    with Consumer(channel, [queue], callbacks=[lambda body, message: taken.append(body)], accept=["json"]):
        connection.drain_events(timeout=10)
    child = os.fork()
    if child == 0:
        time.sleep(60)
        os._exit(0)
    print(json.dumps({"taken": taken, "pid": os.getpid(), "child": child}), flush=True)
    time.sleep(60)
"""


def send(connection, *bodies) -> None:
    producer = Producer(connection.channel())
    for body in bodies:
        producer.publish(body, routing_key="hw.default", declare=[QUEUE], serializer="json")


def waiting(options) -> list[str]:
    return files.waiting(files.queue_folder(options, "hw.default"))


def claimed(options) -> list[Path]:
    return sorted(Path(options["processed_folder"]).glob("*/*/*"))


def receive(connection, timeout: float = 3.0, expect: int | None = None) -> list:
    """What one consumer on a fresh channel receives within `timeout`, or until it has `expect`
    messages (each acknowledged as it comes)."""
    received = []

    def on_message(body, message):
        received.append(body)
        message.ack()

    with Consumer(connection.channel(), [QUEUE], callbacks=[on_message], accept=["json"]):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(received) != expect:
            with suppress(TimeoutError):
                connection.drain_events(timeout=0.2)
    return received


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_message_taken_by_a_consumer_killed_before_its_ack_is_put_back_once(connection, options):
    send(connection, {"n": 1})
    consumer = subprocess.Popen(
        [sys.executable, "-c", CONSUMER, json.dumps(options)], cwd=processes.ROOT, stdout=subprocess.PIPE, text=True
    )
    pids = {}
    try:
        pids = json.loads(consumer.stdout.readline())
        assert pids["taken"] == [{"n": 1}]
        assert waiting(options) == [] and len(claimed(options)) == 1
        # Its owner lives: another consumer (sweeping as it starts) leaves the message alone.
        assert receive(connection, timeout=1.5) == []
        assert len(claimed(options)) == 1

        os.kill(pids["pid"], signal.SIGKILL)  # the owner only: its forked child lives on
        consumer.wait(timeout=10)
        assert alive(pids["child"])
        # The running consumer's next sweep puts it back (a POSIX lock is not inherited by the child).
        assert receive(connection, timeout=expiry.SWEEP_EVERY + 5, expect=1) == [{"n": 1}]
        assert waiting(options) == [] and claimed(options) == []
        assert receive(connection, timeout=1.5) == []  # once
    finally:
        consumer.kill()
        if "child" in pids:
            with suppress(ProcessLookupError):
                os.kill(pids["child"], signal.SIGKILL)


def test_an_acknowledged_message_leaves_nothing_behind(connection, options):
    send(connection, {"n": 1}, {"n": 2})
    assert receive(connection) == [{"n": 1}, {"n": 2}]
    assert waiting(options) == [] and claimed(options) == []


def test_a_message_held_unacknowledged_is_claimed_until_its_ack(connection, options):
    send(connection, {"n": 1})
    held = []
    with Consumer(connection.channel(), [QUEUE], callbacks=[lambda body, message: held.append(message)]):
        connection.drain_events(timeout=2)
        assert [message.payload for message in held] == [{"n": 1}]
        assert waiting(options) == [] and len(claimed(options)) == 1
        held[0].ack()
        assert claimed(options) == []


def test_a_rejected_message_goes_back_once_and_its_claim_with_it(connection, options):
    send(connection, {"n": 1})
    held = []
    with Consumer(connection.channel(), [QUEUE], callbacks=[lambda body, message: held.append(message)]):
        connection.drain_events(timeout=2)
        held[0].reject(requeue=True)
    assert len(waiting(options)) == 1 and claimed(options) == []
    assert receive(connection) == [{"n": 1}]


def test_a_channel_closed_with_a_message_unacknowledged_puts_it_back_once(options):
    with Connection(URL, transport_options=options) as connection:
        send(connection, {"n": 1})
        channel = connection.channel()
        held = []
        with Consumer(channel, [QUEUE], callbacks=[lambda body, message: held.append(message)]):
            connection.drain_events(timeout=2)
        assert len(claimed(options)) == 1
        channel.close()  # kombu restores what the channel held (a worker's clean stop)
    assert len(waiting(options)) == 1 and claimed(options) == []
    with Connection(URL, transport_options=options) as connection:
        assert receive(connection) == [{"n": 1}]


def test_a_consumer_without_acknowledgements_keeps_no_claim(connection, options):
    send(connection, {"n": 1})
    received = []
    with Consumer(connection.channel(), [QUEUE], callbacks=[lambda body, message: received.append(body)], no_ack=True):
        connection.drain_events(timeout=2)
    assert received == [{"n": 1}]
    assert waiting(options) == [] and claimed(options) == []
    assert connection.channel().basic_get("hw.default", no_ack=True) is None
    send(connection, {"n": 2})
    wait_for(lambda: waiting(options), timeout=2, message="the second message")
    assert connection.channel().basic_get("hw.default", no_ack=True).payload == {"n": 2}
    assert claimed(options) == []
    with pytest.raises(Empty):
        connection.channel()._get("hw.default")


def test_a_message_that_cannot_be_decoded_is_not_kept_to_be_handed_back(connection, options):
    channel = connection.channel()
    QUEUE(channel).declare()
    channel.basic_consume("hw.default", False, lambda message: None, "tag")
    (files.queue_folder(options, "hw.default") / files.message_name()).write_bytes(b"{not json")
    with pytest.raises(ValueError):
        channel._get("hw.default")
    assert waiting(options) == [] and claimed(options) == []
