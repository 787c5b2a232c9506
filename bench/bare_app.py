"""The bare Celery app of the end-to-end benchmark: Celery's defaults, no Django, results ignored.

`celery -A bench.bare_app worker` with BENCH_BARE_BROKER and BENCH_BARE_QUEUE set; the task body
is the site's `echo`, under the same name.
"""

import os

from celery import Celery

app = Celery("bare", broker=os.environ.get("BENCH_BARE_BROKER", "redis://127.0.0.1:6379/14"))
app.conf.task_ignore_result = True
app.conf.task_default_queue = os.environ.get("BENCH_BARE_QUEUE", "bench.bare")
app.conf.broker_connection_retry_on_startup = True


@app.task(name="echo")
def echo(value):
    """Return the value it was given, unchanged (the site's echo)."""
    return value
