"""Benchmark 7, latency: one `echo` task on an otherwise idle site, from `POST /api/tasks/` to its
SUCCESS read back from the API, one task at a time.

Three sites, each the Procfile's `web` (`python -m helloworld.web`) and `worker`
(`python -m helloworld.worker`, REMAP_SIGTERM=SIGQUIT) as the platform starts them, in local mode:
- Redis, results in PostgreSQL (the bench database);
- RabbitMQ, results in PostgreSQL;
- the embedded defaults (`make run`): SQLite and the filesystem broker, in a data directory of its own.

A client on one kept-alive connection per site sends `POST /api/tasks/` and then reads
`GET /api/tasks/<id>/` every POLL seconds until the state is SUCCESS; the next task follows after
a random pause of up to GAP seconds, so that each one meets the site idle at a random moment (a
broker that polls would otherwise always be met at the same point of its interval). The sites
take turns in rounds. Per task the clock runs from the moment the POST is sent; the stages beside
it say where the time goes, each counted from that same moment (p50 over the tasks):
- published: the web process committed the record and its publish returned (`after_task_publish`);
- POST answered: the client has the answer;
- received: the worker's main process took the message (Celery's `task_received`);
- started: a pool process is about to run the task (`task_prerun`);
- result write begun: the result row's `date_done` (finished_at in the API), taken as its statement
  is built; stored: the statement committed (`task_success`); finished: `task_postrun`;
- seen: the client's poll read SUCCESS.
The processes' events come from bench/latency_probe (a `sitecustomize` on the path of the web and
worker processes started here, one line appended to a file per event).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path

from bench import env
from bench.harness import Report, interleave, percentile, say

PROBE_DIR = Path(__file__).resolve().parent / "latency_probe"
POLL = float(os.environ.get("BENCH_LATENCY_POLL_MS", "1")) / 1000
GAP = 0.1
# The parts of a task's way, each the median over the tasks of the time between two events.
PARTS = {
    "web and broker: sent -> received": (None, "received"),
    "hand-off: received -> started in a pool process": ("received", "started"),
    "task: started -> result write begun": ("started", "result write begun"),
    "result write and durable commit": ("result write begun", "stored"),
    "the poll: stored -> seen": ("stored", "seen"),
    "sent -> POST answered": (None, "POST answered"),
    "sent -> publish returned": (None, "published"),
}
REDIS, RABBITMQ, LOCAL = "redis", "rabbitmq", "local (SQLite, filesystem broker)"
TARGETS_MS = {REDIS: 15, RABBITMQ: 15, LOCAL: 60}


class LatencySite:
    """One site's web and worker processes, the Procfile's commands, and a client to time them."""

    def __init__(self, name: str, broker: str, overrides: dict | None = None):
        self.name = name
        tag = f"{broker}-{uuid.uuid4().hex[:8]}"
        self.probe = env.DATA_DIR / f"latency-probe-{tag}.txt"
        overrides = overrides or {}
        probed = {"PYTHONPATH": f"{PROBE_DIR}{os.pathsep}{env.ROOT}", "BENCH_LATENCY_PROBE": str(self.probe)}
        environ = env.site_environ(broker, **overrides)
        if "DATABASE_URL" in overrides:  # a database of its own: migrated as the release phase would
            manage = [str(env.BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"]
            subprocess.run(manage, cwd=env.ROOT, env=environ, check=True)
        self.web, base = env.start_web(broker, extra={**overrides, **probed})
        self.worker = env.start(
            f"latency-worker-{tag}",
            [str(env.BIN / "python"), "-m", "helloworld.worker", "--hostname", f"latency-{tag}@%h"],
            {**environ, **probed, "REMAP_SIGTERM": "SIGQUIT"},
        )
        self.connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
        self.timings: list[dict[str, float]] = []
        self.gets: list[float] = []  # each poll's seconds

    def request(self, method: str, path: str, body=None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self.connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read() or b"null")

    def one(self, timeout: float = 60) -> dict[str, float]:
        """Send one echo task and poll until SUCCESS: the client's times, seconds since the send."""
        sent = time.time()
        status, answer = self.request("POST", "/api/tasks/", {"task": "echo", "args": ["hello"]})
        answered = time.time()
        if status != 202:
            raise RuntimeError(f"{self.name}: POST answered {status}: {str(answer)[:200]}")
        while True:
            asked = time.perf_counter()
            status, found = self.request("GET", f"/api/tasks/{answer['id']}/")
            self.gets.append(time.perf_counter() - asked)
            if status == 200 and found["state"] == "SUCCESS":
                seen = time.time()
                break
            if status == 200 and found["finished"]:
                raise RuntimeError(f"{self.name}: task {answer['id']} ended {found['state']}")
            if time.time() - sent > timeout:
                raise RuntimeError(f"{self.name}: task {answer['id']} not done in {timeout:g} s ({found})")
            time.sleep(POLL)
        timing = {
            "id": answer["id"],
            "sent": sent,
            "POST answered": answered - sent,
            "result write begun": datetime.fromisoformat(found["finished_at"]).timestamp() - sent,
            "seen": seen - sent,
        }
        self.timings.append(timing)
        return timing

    def run(self, count: int, rng: random.Random) -> None:
        # A connection of its own each round: the server closes one left idle for 30 s meanwhile.
        self.connection.close()
        for _ in range(count):
            time.sleep(rng.uniform(0, GAP))
            self.one()

    def worker_events(self) -> None:
        """Add the worker's events (the probe's file) to each task's timing."""
        events: dict[str, dict[str, float]] = {}
        for line in self.probe.read_text().splitlines():
            event, task_id, stamp = line.split()
            events.setdefault(task_id, {})[event] = float(stamp)
        for timing in self.timings:
            for event, stamp in events.get(timing["id"], {}).items():
                timing[event] = stamp - timing["sent"]

    def stop(self) -> None:
        self.connection.close()
        for process in (self.web, self.worker):
            process.terminate()


def run(smoke: bool) -> list[Report]:
    tasks = 10 if smoke else int(os.environ.get("BENCH_LATENCY_TASKS", "200"))
    rounds = 1 if smoke else int(os.environ.get("BENCH_LATENCY_ROUNDS", "4"))
    report = Report(
        "latency",
        "7. Latency: one echo task on an idle site, POST /api/tasks/ to SUCCESS read from the API",
        {"tasks per site": tasks, "rounds": rounds, "poll every ms": POLL * 1000, "pause before each task ms": "0-100"},
    )
    latency = report.metric("POST to SUCCESS seen (each task)", "ms", higher_is_better=False)
    p95 = report.metric("p95", "ms", higher_is_better=False)
    parts = {part: report.metric(f"p50 {part}", "ms", higher_is_better=False) for part in PARTS}
    get = report.metric("p50 of one poll (GET /api/tasks/<id>/)", "ms", higher_is_better=False)

    local_dir = env.DATA_DIR / "latency-local"
    local_dir.mkdir(parents=True, exist_ok=True)
    local = {"HELLOWORLD_DATA_DIR": str(local_dir), "DATABASE_URL": f"sqlite:///{local_dir / 'db.sqlite3'}"}
    wanted = [(REDIS, "redis", None), (RABBITMQ, "rabbitmq", None), (LOCAL, "filesystem", local)]
    sites: dict[str, LatencySite] = {}
    rng = random.Random(7)
    try:
        for name, broker, overrides in wanted:
            sites[name] = LatencySite(name, broker, overrides)
        for site in sites.values():  # each worker up and consuming before any clock runs
            site.one(timeout=120)
            site.timings.clear()
            site.gets.clear()
        say(f"[latency] {rounds} rounds, {tasks} tasks per site, one at a time, polled every {POLL * 1000:g} ms")
        per_round = max(1, tasks // rounds)
        interleave({name: (lambda site=site: site.run(per_round, rng)) for name, site in sites.items()}, rounds)
    finally:
        for site in sites.values():
            site.stop()

    for name, site in sites.items():
        site.worker_events()
        for timing in site.timings:
            latency.add(name, 1000 * timing["seen"])
        p95.add(name, 1000 * percentile([t["seen"] for t in site.timings], 0.95))
        get.add(name, 1000 * percentile(site.gets, 0.5))
        for part, (start, end) in PARTS.items():
            timed = [t for t in site.timings if end in t and (start is None or start in t)]
            values = [t[end] - (t[start] if start else 0) for t in timed]
            if values:
                parts[part].add(name, 1000 * percentile(values, 0.5))
        report.target(f"{name}: p50 POST to SUCCESS seen, ms", latency.median(name), TARGETS_MS[name], at_most=True)
        shares = ", ".join(f"{part.split(':')[0]} {parts[part].median(name) or 0:.1f}" for part in list(PARTS)[:5])
        report.note(
            f"{name}: p50 {latency.median(name):.1f} ms (target {TARGETS_MS[name]}), p95 {p95.median(name):.1f}; "
            f"its parts' medians: {shares}; one poll {get.median(name):.1f} ms"
        )
    if smoke:
        report.note(f"smoke sizes: {tasks} tasks per site; the targets are for the full 200")
    return [report]
