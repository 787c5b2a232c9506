"""The floor of the site's guarantee, for the end-to-end benchmark: bare Celery acking late, one
message reserved per process (prefetch 1), each task committing one row to PostgreSQL before its
ack: an autocommitted INSERT on one psycopg connection per pool process. No Django, no record, no
STARTED, no revocation check: what any worker that keeps a durable result before the ack pays.

`celery -A bench.floor_app worker` with BENCH_FLOOR_BROKER, BENCH_FLOOR_QUEUE and
BENCH_FLOOR_DATABASE set; the task body is the site's `echo`, under the same name.
"""

import json
import os

import psycopg
from celery import Celery
from celery.signals import worker_process_init

TABLE = "bench_floor_result"

app = Celery("floor", broker=os.environ.get("BENCH_FLOOR_BROKER", "redis://127.0.0.1:6379/14"))
app.conf.task_ignore_result = True
app.conf.task_acks_late = True
app.conf.worker_prefetch_multiplier = 1
app.conf.task_default_queue = os.environ.get("BENCH_FLOOR_QUEUE", "bench.floor")
app.conf.broker_connection_retry_on_startup = True

_connection = {}


def environ(base: dict, broker: str, queue: str, database_url: str) -> dict:
    """The floor worker's environment: `base` without DJANGO_SETTINGS_MODULE (which would make
    Celery load the site's Django and its fix-up into the floor), with the floor's settings."""
    cleaned = {key: value for key, value in base.items() if key != "DJANGO_SETTINGS_MODULE"}
    return {
        **cleaned,
        "BENCH_FLOOR_BROKER": broker,
        "BENCH_FLOOR_QUEUE": queue,
        "BENCH_FLOOR_DATABASE": database_url,
    }


def connect() -> psycopg.Connection:
    return psycopg.connect(os.environ["BENCH_FLOOR_DATABASE"], autocommit=True)


def create_table(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, task_id text, result text)")


def done(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]


def clear(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {TABLE}")


@worker_process_init.connect
def _open(**_):
    _connection["conn"] = connect()  # one per pool process, opened after the fork


@app.task(name="echo", bind=True)
def echo(self, value):
    """The site's echo, its result committed durably (autocommit) before Celery acks it."""
    conn = _connection.get("conn") or _connection.setdefault("conn", connect())
    conn.execute(
        f"INSERT INTO {TABLE} (task_id, result) VALUES (%s, %s)",
        (self.request.id, json.dumps(value)),
        prepare=True,
    )
    return value
