"""A monitor that turns a worker's events on and is then killed leaves nothing behind on the
embedded broker: its event queue stays while it listens, and once it is gone the queue is unbound
and removed, so the broker folder returns to what it was before (issue: 6,651 event files left
by a Flower session that kept every later poll slow)."""

import json
import signal
import sys
import time
from pathlib import Path

import pytest

from helloworld.transports import expiry
from tests.support.processes import BIN, site_env, started
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

# A monitor as Flower is one: ping the workers (a reply queue), turn their events on by remote
# control, then listen to every event until killed.
MONITOR = """
import django
django.setup()
from helloworld.celery import app
print("PING", app.control.inspect(timeout=3).ping(), flush=True)
app.control.enable_events()
with app.connection() as connection:
    handlers = {"*": lambda event: print("EVENT", event["type"], flush=True)}
    app.events.Receiver(connection, handlers=handlers).capture(limit=None, timeout=None)
"""


def queue_names(env) -> set[str]:
    folder = Path(env["HELLOWORLD_DATA_DIR"]) / "broker" / "queues"
    return {path.name for path in folder.iterdir()} if folder.is_dir() else set()


def broker_files(env) -> int:
    """Files in the queues and in the folder messages are written in (the exchanges' files stay,
    one per exchange, as an AMQP broker keeps its exchanges)."""
    root = Path(env["HELLOWORLD_DATA_DIR"]) / "broker"
    return sum(1 for folder in ("queues", "queue") for path in (root / folder).rglob("*") if path.is_file())


def bound_queues(env) -> set[str]:
    control = Path(env["HELLOWORLD_DATA_DIR"]) / "broker" / "control"
    return {entry[2] for file in control.glob("*.exchange") for entry in json.loads(file.read_text())}


def test_a_killed_monitor_leaves_the_broker_folder_as_it_found_it(tmp_path):
    env = site_env(tmp_path, DJANGO_SETTINGS_MODULE="helloworld.settings")
    worker_argv = [str(BIN / "celery"), "-A", "helloworld", "worker", "-c", "1", "-l", "INFO", "-n", "w1@%h"]
    with started(worker_argv, env, tmp_path / "worker.log") as worker:
        wait_for(lambda: "ready." in worker.log, timeout=60, message="the worker to start")
        time.sleep(1)
        before_queues, before_files, before_bound = queue_names(env), broker_files(env), bound_queues(env)
        assert any(name.endswith(".pidbox") for name in before_queues)  # the worker's remote control

        with started([sys.executable, "-c", MONITOR], env, tmp_path / "monitor.log") as monitor:
            wait_for(lambda: "EVENT worker-heartbeat" in monitor.log, timeout=60, message="events at the monitor")
            assert "'ok': 'pong'" in monitor.log  # remote control answered through a reply queue
            event_queues = {name for name in queue_names(env) if name.startswith("celeryev.")}
            assert len(event_queues) == 1
            # Alive past the time a gone consumer's queue takes to expire: it keeps its queue.
            time.sleep(expiry.GONE_AFTER + expiry.SWEEP_EVERY + 1)
            assert event_queues <= queue_names(env)
            seen = monitor.log.count("EVENT worker-heartbeat")
            wait_for(lambda: monitor.log.count("EVENT worker-heartbeat") > seen, timeout=10, message="more events")
            monitor.stop(signal.SIGKILL)

        # The worker still sends events (nobody turned them off); the queue they went to goes away.
        wait_for(
            lambda: queue_names(env) == before_queues,
            timeout=expiry.GONE_AFTER + 2 * expiry.SWEEP_EVERY + 15,
            message="the monitor's queues to go",
        )
        time.sleep(3)  # and stay gone, however many more events the worker sends
        assert queue_names(env) == before_queues
        assert broker_files(env) == before_files
        assert bound_queues(env) == before_bound
        assert "Removed 1 queue(s) whose consumers had gone: celeryev." in worker.log
