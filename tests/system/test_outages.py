"""Outages while the site is up: the broker stopped, the database briefly gone.

The brokers stopped here are private servers the test starts on ports of its own (a RabbitMQ
node, a redis-server): stopping the machine's shared ones would break every other test run.
Everything else is the real site: gunicorn and a worker started as the Procfile starts them.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.support import processes
from tests.support.services import POSTGRESQL, RABBITMQ, REDIS, require
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PrivateBroker:
    """A broker server of the test's own, which it can stop and start again on the same port
    with the same data (RabbitMQ keeps durable queues and persistent messages across it)."""

    def __init__(self, kind: str, workdir: Path):
        self.kind = kind
        self.port = processes.free_port()
        self.workdir = workdir
        self.server: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.kind == "rabbitmq":
            return f"amqp://guest:guest@127.0.0.1:{self.port}//"
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.kind == "rabbitmq":
            command, env = ["rabbitmq-server"], self._rabbitmq_env()
        else:
            command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
            command, env = [*command, "no"], os.environ
        log = open(self.workdir / f"{self.kind}.log", "a")  # noqa: SIM115 (closed with the process)
        self.server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for(lambda: self._up(), timeout=60, interval=0.2, message=f"the private {self.kind} to listen")

    def _up(self) -> bool:
        assert self.server.poll() is None, (self.workdir / f"{self.kind}.log").read_text()[-3000:]
        return port_open(self.port)

    def stop(self) -> None:
        """A clean stop (SIGTERM to the server), as a broker restart or a failover does."""
        os.killpg(self.server.pid, signal.SIGTERM)
        if self.kind == "rabbitmq":
            # The Erlang VM runs as the rabbitmq user outside that group; it stops cleanly on SIGTERM.
            with contextlib.suppress(ProcessLookupError, ValueError, FileNotFoundError):
                os.kill(int((self.workdir / "rabbitmq" / "pid").read_text()), signal.SIGTERM)
        wait_for(lambda: not port_open(self.port), timeout=30, message=f"the private {self.kind} to stop")
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()

    def _rabbitmq_env(self) -> dict:
        base = self.workdir / "rabbitmq"
        base.mkdir(exist_ok=True)
        (base / "plugins").write_text("[].")
        if os.geteuid() == 0:  # rabbitmq-server started by root runs the node as the rabbitmq user
            for path in (base, base / "plugins"):
                shutil.chown(path, user="rabbitmq")
        name = f"hwtest{self.port}@localhost"
        return {
            **os.environ,
            "RABBITMQ_NODENAME": name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(processes.free_port()),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_MNESIA_DIR": str(base / "mnesia" / name),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(base / "feature_flags"),
            "RABBITMQ_QUORUM_DIR": str(base / "quorum"),
            "RABBITMQ_STREAM_DIR": str(base / "stream"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(base / "plugins-expand"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "plugins"),
            "RABBITMQ_PID_FILE": str(base / "pid"),
            "RABBITMQ_CONFIG_FILE": str(base / "no-config"),
        }

    def close(self) -> None:
        if self.server and self.server.poll() is None:
            self.stop()


@pytest.fixture
def workdir():
    # Not pytest's tmp_path: the rabbitmq user must be able to reach it.
    path = Path(tempfile.mkdtemp(prefix="helloworld-outage-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("kind", ["rabbitmq", "redis"])
def test_the_broker_stopped_while_the_site_is_up_is_a_clear_503_and_both_reconnect_by_themselves(workdir, kind):
    require(RABBITMQ if kind == "rabbitmq" else REDIS)  # the same server software, on a port of our own
    broker = PrivateBroker(kind, workdir)
    broker.start()
    try:
        env = processes.site_env(workdir, CELERY_BROKER_URL=broker.url, REMAP_SIGTERM="SIGQUIT")
        processes.release(env)
        port = processes.free_port()
        base = f"http://127.0.0.1:{port}"
        database_url = f"sqlite:///{workdir / 'data' / 'db.sqlite3'}"
        with processes.honcho("Procfile.real", ["web", "worker"], env, port, workdir / "site.log") as site:
            processes.wait_for_site(base, site)
            processes.run_echo(base, "before")

            broker.stop()
            started_at = time.monotonic()
            status_code, body = processes.http("POST", f"{base}/api/tasks/", {"task": "echo", "args": ["while down"]})
            refused_in = time.monotonic() - started_at
            assert status_code == 503, body
            assert body["error"].startswith("The task broker is not reachable, so the task was not queued")
            assert refused_in < 10, f"the refusal took {refused_in:.1f} s"
            rows = processes._query(database_url, "SELECT count(*) FROM tasks_app_taskrecord", ())
            assert rows[0][0] == 1, "a refused task left a record claiming it is queued"
            # Health answers from a snapshot at most MONITOR_REFRESH_SECONDS (5) old.
            health_code, health = wait_for(
                lambda: (found := processes.http("GET", f"{base}/api/health/"))[0] == 503 and found,
                timeout=10,
                message="health to see the broker gone",
            )
            assert health_code == 503 and health["broker"]["reachable"] is False

            broker.start()
            # Neither the web process nor the worker is restarted: both find the broker again.
            done = processes.run_echo(base, "after")
            assert done["result"] == "after"
            print(f"{kind}: 503 after {refused_in:.2f} s while down; a new task ran once it was back")
    finally:
        broker.close()


# --- The database briefly unavailable to a worker ---------------------------------------------


@pytest.fixture
def scratch_database():
    """A PostgreSQL database of the test's own, which the test can close to all connections."""
    import psycopg

    admin_url = require(POSTGRESQL)
    name = f"hw_outage_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(admin_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin, name, admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def cut_off(admin, name: str) -> None:
    """What a PostgreSQL restart or failover looks like to a client: every connection dropped,
    and new ones refused until the database is back."""
    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def test_a_result_finished_while_the_database_is_down_is_stored_once_it_is_back(workdir, scratch_database):
    admin, name, database_url = scratch_database
    env = processes.site_env(workdir, DATABASE_URL=database_url, REMAP_SIGTERM="SIGQUIT")
    processes.release(env)
    worker_command = ["celery", "--app", "helloworld", "worker", "--loglevel", "INFO", "--hostname", "db@%h"]
    with processes.started(worker_command, env, workdir / "worker.log") as worker:
        wait_for(lambda: "ready." in worker.log, timeout=30, message="the worker to be ready")
        task_id = processes.enqueue(env, "long_task", [3])
        wait_for(
            lambda: processes.task_state(database_url, task_id) == "PROGRESS",
            message="the long task to report progress",
        )
        cut_off(admin, name)
        time.sleep(8)  # the task ends about 3 s in, with nowhere to write its result
        assert not worker.leftovers() or worker.alive()
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        wait_for(
            lambda: processes.task_state(database_url, task_id) == "SUCCESS",
            timeout=60,
            message="the result to reach the database once it was back",
        )
        result = processes._query(
            database_url, "SELECT result FROM django_celery_results_taskresult WHERE task_id = %s", (task_id,)
        )
        assert '"seconds": 3' in result[0][0]
        worker.stop(signal.SIGTERM, within=30)
    assert "failed to store result" not in worker.log
