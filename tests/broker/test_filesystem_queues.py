"""The embedded broker's queues (helloworld/transports): a take costs the same whatever the backlog,
an ack wakes the consumer at once, and queues whose consumer has gone expire as AMQP's do, while
queues declared without expiry (the site's task queues) never do."""

import os
import threading
import time
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue

from helloworld.transports import expiry, files

URL = "filesystem-ordered://"


def put(channel, queue: str, count: int) -> None:
    for index in range(count):
        channel._put(queue, {"index": index})


def counting_listings(monkeypatch) -> list:
    calls = []
    real = files.waiting

    def waiting(folder):
        calls.append(folder)
        return real(folder)

    monkeypatch.setattr(files, "waiting", waiting)
    return calls


def test_one_listing_serves_every_take_however_long_the_backlog(connection, monkeypatch):
    channel = connection.default_channel
    put(channel, "hw.default", 500)
    listings = counting_listings(monkeypatch)
    taken = [channel._get("hw.default")["index"] for _ in range(500)]
    assert taken == list(range(500))  # oldest first
    assert len(listings) <= 2  # not one per message


def test_polling_an_unchanged_queue_lists_nothing(connection, monkeypatch):
    channel = connection.default_channel
    put(channel, "hw.high", 1)
    channel._get("hw.high")
    time.sleep(files.SETTLED_NS / 1e9 + 0.02)
    with pytest.raises(Empty):
        channel._get("hw.high")  # lists once more: the folder changed when the message left
    listings = counting_listings(monkeypatch)
    for _ in range(20):
        with pytest.raises(Empty):
            channel._get("hw.high")
    assert listings == []


def test_a_message_sent_right_after_a_poll_is_found_by_the_next(connection):
    reader, writer = connection.channel(), Connection(URL, transport_options=connection.transport_options).channel()
    for index in range(50):
        with pytest.raises(Empty):
            reader._get("hw.default")
        writer._put("hw.default", {"index": index})
        assert reader._get("hw.default") == {"index": index}


def test_an_ack_wakes_the_consumer_long_before_the_polling_interval(options):
    options["polling_interval"] = 5.0
    with Connection(URL, transport_options=options) as connection:
        queue = Queue("hw.default", routing_key="hw.default")
        producer = Producer(connection.channel())
        for index in range(2):
            producer.publish({"index": index}, routing_key="hw.default", declare=[queue])
        received = []
        channel = connection.channel()
        channel.basic_qos(0, 1, False)
        with Consumer(channel, [queue], callbacks=[lambda body, message: received.append(message)], accept=["json"]):
            connection.drain_events(timeout=2)
            assert len(received) == 1  # the prefetch of one is full until that one is acked
            threading.Timer(0.2, received[0].ack).start()
            started = time.monotonic()
            connection.drain_events(timeout=4)
            assert len(received) == 2
            assert time.monotonic() - started < 1.5


def test_messages_left_in_the_flat_layout_of_older_versions_are_kept(connection, options):
    staging = Path(options["data_folder_in"])
    (staging / "12345_0b4e2f0e-3c5b-4d0f-9d51-2f1e0e3c9a11.hw.low.msg").write_bytes(b'{"old": true}')
    channel = connection.default_channel
    Queue("hw.low", routing_key="hw.low")(channel).declare()
    put(channel, "hw.low", 1)
    assert channel._get("hw.low") == {"old": True}  # ahead of the newer message
    assert channel._get("hw.low") == {"index": 0}
    assert not list(staging.iterdir())


# --- expiry ----------------------------------------------------------------------------------


def event_queue(name="celeryev.monitor", expires=60):
    """What Celery's event receiver declares: auto-delete, with x-expires, bound to a topic exchange."""
    return Queue(name, Exchange("hw.celeryev", type="topic"), routing_key="#", auto_delete=True, expires=expires)


def age_lease(folder: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(folder / expiry.LEASE, (then, then))


def publish_event(connection) -> None:
    Producer(connection.channel()).publish(
        {"type": "worker-heartbeat"}, exchange=Exchange("hw.celeryev", type="topic"), routing_key="worker.heartbeat"
    )


def test_a_queue_whose_consumer_has_gone_is_unbound_and_removed(connection, options):
    queue = event_queue()(connection.default_channel)
    queue.declare()
    publish_event(connection)
    folder = files.queue_folder(options, queue.name)
    assert len(files.waiting(folder)) == 1
    age_lease(folder, expiry.GONE_AFTER - 1)
    assert expiry.sweep(files.queues_folder(options), Path(options["control_folder"])) == []  # not yet
    age_lease(folder, expiry.GONE_AFTER + 1)
    assert expiry.sweep(files.queues_folder(options), Path(options["control_folder"])) == [queue.name]
    assert not folder.exists()
    assert connection.default_channel.get_table("hw.celeryev") == []
    publish_event(connection)  # nobody listens any more: the event goes nowhere
    assert not folder.exists()
    assert [p.name for p in files.queues_folder(options).iterdir()] == []


def test_a_queue_declared_without_expiry_is_never_removed(connection, options):
    channel = connection.default_channel
    site = Queue("hw.default", routing_key="hw.default")(channel)
    Queue("hw.default", routing_key="hw.default", auto_delete=True, expires=1)(channel).declare()
    site.declare()  # declared as the site declares it: no lease left
    put(channel, "hw.default", 3)
    folder = files.queue_folder(options, "hw.default")
    old = time.time() - 365 * 24 * 3600
    for path in [folder, *folder.iterdir()]:
        os.utime(path, (old, old))
    assert expiry.sweep(files.queues_folder(options), Path(options["control_folder"]), dangling=True) == []
    assert len(files.waiting(folder)) == 3


def test_a_live_consumer_keeps_its_queue_and_gets_it_back_if_it_was_away_too_long(connection, options):
    channel = connection.channel()
    queue = event_queue(expires=2)
    with Consumer(channel, [queue], callbacks=[lambda body, message: message.ack()], accept=["json"]):
        folder = files.queue_folder(options, queue.name)
        age_lease(folder, 5)
        channel.renew_leases()  # what its polling loop does every RENEW_EVERY seconds
        assert expiry.sweep(files.queues_folder(options), Path(options["control_folder"])) == []

        age_lease(folder, 5)  # stalled: swept before it renewed
        assert expiry.sweep(files.queues_folder(options), Path(options["control_folder"])) == [queue.name]
        channel.renew_leases()
        assert folder.is_dir() and [entry.queue for entry in channel.get_table("hw.celeryev")] == [queue.name]
        publish_event(connection)
        assert len(files.waiting(folder)) == 1


def test_a_reply_queue_is_removed_with_its_messages_once_the_replies_are_collected(connection, options):
    queue = Queue("abc.reply.hw.pidbox", Exchange("reply.hw.pidbox"), routing_key="abc", auto_delete=True, expires=10)
    channel = connection.default_channel
    queue(channel).declare()
    Producer(channel).publish({"late": True}, exchange="reply.hw.pidbox", routing_key="abc")
    channel.after_reply_message_received(queue.name)  # what kombu's Mailbox does after collecting
    assert not files.queue_folder(options, queue.name).exists()
    assert channel.get_table("reply.hw.pidbox") == []


def test_two_readers_sharing_a_backlog_each_take_a_message_once(connection, options):
    put(connection.default_channel, "hw.default", 1000)
    taken: list[list[int]] = [[], []]

    def read(into):
        with Connection(URL, transport_options=options) as own:
            channel = own.channel()
            while True:
                try:
                    into.append(channel._get("hw.default")["index"])
                except Empty:
                    return

    threads = [threading.Thread(target=read, args=(into,)) for into in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(taken[0] + taken[1]) == list(range(1000))  # none lost, none twice
