"""Timestamps of each task's passage through a worker, for the latency benchmark (bench/bench_latency.py).

Python imports `sitecustomize` at start-up from the path; the benchmark puts this folder on the
PYTHONPATH of the worker it starts, and only of that one, with BENCH_LATENCY_PROBE naming a file.
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

    def _received(request=None, **_kwargs):
        _write("received", getattr(request, "id", None))

    def _prerun(task_id=None, **_kwargs):
        _write("started", task_id)

    def _postrun(task_id=None, **_kwargs):
        _write("finished", task_id)

    signals.task_received.connect(_received, weak=False)
    signals.task_prerun.connect(_prerun, weak=False)
    signals.task_postrun.connect(_postrun, weak=False)
