"""Running the site's real processes: honcho on a Procfile, celery commands, gunicorn, HTTP.

The tests and the benchmarks (bench/env.py) both start processes with `Process`; neither needs pytest.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_environ(data_dir: Path, queue_prefix: str, local: bool = True, **extra: str) -> dict[str, str]:
    """The environment of a site process: this one's, less every broker, database and site
    variable, plus the data directory (where the default SQLite database and filesystem broker
    live), the queue prefix, local mode if asked, and `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("_URL") and not key.startswith(("HELLOWORLD_", "DJANGO_", "CELERY_", "REMAP_"))
    }
    env.update(
        HELLOWORLD_DATA_DIR=str(data_dir),
        PATH=f"{BIN}:{env.get('PATH', '')}",
        CELERY_QUEUE_PREFIX=queue_prefix,
    )
    if local:
        env["HELLOWORLD_LOCAL"] = "1"
    env.update(extra)
    return env


def site_env(tmp_path: Path, local: bool = True, **extra: str) -> dict[str, str]:
    """A test's site environment: its own data directory under `tmp_path` and queues of its own,
    so that leftovers of another test never reach these workers."""
    return site_environ(tmp_path / "data", f"hwtest-{uuid.uuid4().hex[:8]}", local, **extra)


def http(method: str, url: str, body=None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def manage(env: dict, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def release(env: dict) -> None:
    """What the Procfile's release phase runs before a deploy starts any dyno."""
    procfile = (ROOT / "Procfile").read_text()
    line = next(line for line in procfile.splitlines() if line.startswith("release:"))
    command = line.split(":", 1)[1].strip()
    completed = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def schedule(env: dict, task: str, args: list, schedule_text: str, name: str) -> None:
    manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        f"from tasks_app import services; services.schedule({task!r}, {args!r}, "
        f"schedule_text={schedule_text!r}, name={name!r})",
    )


def enqueue(env: dict, task: str, args: list) -> str:
    """Send a task through the site's own service, as the CLI will; returns its id."""
    out = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        f"from tasks_app import services; print(services.enqueue({task!r}, {args!r}).task_id)",
    )
    return out.strip().splitlines()[-1]


def _query(database_url: str, sql: str, params: tuple) -> list[tuple]:
    if database_url.startswith("sqlite:"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=20) as connection:
            return connection.execute(sql.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute(sql, params).fetchall()


def task_state(database_url: str, task_id: str) -> str | None:
    rows = _query(database_url, "SELECT status FROM django_celery_results_taskresult WHERE task_id = %s", (task_id,))
    return rows[0][0] if rows else None


MARKER = "HELLOWORLD_TEST_PROCESSES"


def marked(marker: str) -> list[int]:
    """Every process on the machine whose environment carries `marker` (all descendants of a
    started command, whatever session or group honcho put them in)."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass  # gone, or not ours to read
    return found


class Process:
    """A process started in a session of its own (it and its children stop together), its
    output in a log file, and every process it starts marked so that none outlives it."""

    def __init__(self, command: list[str], env: dict, log_path: Path, name: str | None = None, cwd: Path = ROOT):
        self.name = name or log_path.stem
        self.log_path = log_path
        self.marker = uuid.uuid4().hex
        with open(log_path, "w") as log:
            self.popen = subprocess.Popen(
                command,
                cwd=cwd,
                env={**env, MARKER: self.marker},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        with suppress(OSError):
            return "\n".join(self.log.splitlines()[-lines:])
        return ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_all(self, sig: int) -> None:
        """Send a signal to the process and every child in its process group."""
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, sig=signal.SIGTERM, within: float = 30.0) -> float:
        """Signal the group; return how long everything took to stop. Past `within`, or with a
        process left behind, kill everything and raise AssertionError (a test's failure)."""
        started = time.monotonic()
        self.signal_all(sig)
        try:
            self.popen.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.signal_all(signal.SIGKILL)
            self.popen.wait()
            raise AssertionError(
                f"Processes still running {within:g} s after {sig.name}:\n{self.log[-4000:]}"
            ) from None
        # Nothing it started is left behind (honcho puts each process in a session of its own).
        deadline = time.monotonic() + 5
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.leftovers():
            self.kill_leftovers()
            raise AssertionError(f"Processes outlived the one the test started:\n{self.log[-4000:]}")
        return time.monotonic() - started

    def terminate(self, within: float = 20.0) -> None:
        """Stop it whatever state it is in (stopped by SIGSTOP too), SIGKILL past `within`; never raises."""
        if self.alive():
            self.signal_all(signal.SIGCONT)
            self.signal_all(signal.SIGTERM)
            try:
                self.popen.wait(timeout=within)
            except subprocess.TimeoutExpired:
                self.signal_all(signal.SIGKILL)
                self.popen.wait(timeout=10)
        self.kill_leftovers()

    def leftovers(self) -> list[int]:
        return marked(self.marker)

    def kill_leftovers(self) -> None:
        """SIGKILL every marked process, again until none is left: a worker killed after its pool
        process may first have started a new one (seen in a full run), which one pass misses."""
        deadline = time.monotonic() + 10
        while (found := self.leftovers()) and time.monotonic() < deadline:
            for pid in found:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)


@contextmanager
def started(command: list[str], env: dict, log_path: Path):
    processes = Process(command, env, log_path)
    try:
        yield processes
    finally:
        # Whatever happened in the test, leave no process behind.
        processes.kill_leftovers()
        if processes.alive():
            processes.popen.kill()
        processes.popen.wait()


def honcho(procfile: str, process_names: list[str], env: dict, port: int, log_path: Path):
    """honcho (with the platform's grace period) running some of a Procfile's processes."""
    command = [sys.executable, "-m", "helloworld.procfile", "--procfile", procfile, "start", "--port", str(port)]
    return started([*command, *process_names], env, log_path)


def wait_for_site(base_url: str, processes: Process, timeout: float = 60) -> None:
    def answers():
        try:
            return urllib.request.urlopen(f"{base_url}/api/health/", timeout=5).status == 200
        except urllib.error.HTTPError:
            return False  # up, but its broker is not (yet)
        except OSError:
            assert processes.alive(), processes.log[-4000:]
            return False

    try:
        wait_for(answers, timeout=timeout, interval=0.3, message=f"{base_url} to answer")
    except BaseException:
        print(processes.log[-6000:])
        raise


def run_echo(base_url: str, value) -> dict:
    status_code, accepted = http("POST", f"{base_url}/api/tasks/", {"task": "echo", "args": [value]})
    assert status_code == 202, accepted

    def succeeded():
        found = http("GET", base_url + accepted["url"])[1]
        return found if found["state"] == "SUCCESS" else None

    return wait_for(succeeded, timeout=30, message="the echo task to succeed")


def periodic_runs(database_url: str, name: str) -> list[tuple[str, float]]:
    """(task id, time sent) of every run beat sent for periodic task `name`, oldest first."""
    rows = _query(
        database_url,
        "SELECT task_id, created_at FROM tasks_app_taskrecord WHERE periodic_task_name = %s ORDER BY created_at, id",
        (name,),
    )
    return [(task_id, _seconds(created)) for task_id, created in rows]


def _seconds(stored) -> float:
    if isinstance(stored, str):  # SQLite keeps UTC as text
        stored = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return stored.timestamp()
