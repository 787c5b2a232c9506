"""Timestamps of each task's passage through the web process and the worker, for the latency
benchmark (bench/bench_latency.py), from Celery's signals: published (the web's publish returned),
received (the worker's main process), started (a pool process, before the task), stored (the
result written durably, `task_success`), finished (`task_postrun`).

Python imports `sitecustomize` at start-up from the path; the benchmark puts this folder on the
PYTHONPATH of the processes it starts, and only of those, with BENCH_LATENCY_PROBE naming a file.
Each line: event, task id, wall-clock time. One small unbuffered append per event (O_APPEND:
the main process and the pool processes write whole lines to the same file).
"""

import os
import time

PATH = os.environ.get("BENCH_LATENCY_PROBE")

if PATH:
    from celery import signals

    _fd = os.open(PATH, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def _write(event: str, task_id) -> None:
        os.write(_fd, f"{event} {task_id} {time.time():.6f}\n".encode())

    def _published(headers=None, **_kwargs):
        _write("published", (headers or {}).get("id"))

    def _received(request=None, **_kwargs):
        _write("received", getattr(request, "id", None))

    def _prerun(task_id=None, **_kwargs):
        _write("started", task_id)

    def _succeeded(sender=None, **_kwargs):
        _write("stored", getattr(getattr(sender, "request", None), "id", None))

    def _postrun(task_id=None, **_kwargs):
        _write("finished", task_id)

    signals.after_task_publish.connect(_published, weak=False)
    signals.task_received.connect(_received, weak=False)
    signals.task_prerun.connect(_prerun, weak=False)
    signals.task_success.connect(_succeeded, weak=False)
    signals.task_postrun.connect(_postrun, weak=False)
