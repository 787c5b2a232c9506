"""Remote control: does a worker answer, what do the workers say, and telling them to revoke a task.
Every call goes through `connection()`.

Remote control gets a connection of its own: through the app's pool, a broadcast takes the pool's
connection and then waits for a second one to publish with, which with the pool of one that
CloudAMQP advises (CELERY_BROKER_POOL_LIMIT=1) never comes.
"""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlsplit

from celery import current_app
from kombu.exceptions import OperationalError

# The broker check: one connection attempt, no retry. Refused is known at once, and a host that does
# not answer within this long counts as down (the app's own connect timeout is 10 to 30 s, for workers).
CHECK_SECONDS = 1.5


@contextmanager
def connection():
    """A broker connection of its own, for one remote-control call or broker check."""
    with current_app.connection_for_write() as own:
        yield own


def broker_problem() -> str | None:
    """None when the broker accepts a connection within CHECK_SECONDS, else what went wrong."""
    try:
        with connection() as own, own.clone(connect_timeout=CHECK_SECONDS) as quick:
            quick.ensure_connection(max_retries=0)
    except Exception as exc:  # any failure to connect is the answer, whatever its class
        return redact(f"{exc.__class__.__name__}: {exc}", current_app.conf.broker_url or "")
    return None


def redact(text: str, url: str) -> str:
    """An error message with the broker's password taken out, should a library echo the URL."""
    password = urlsplit(url).password
    return text.replace(password, "********") if password else text


def any_worker_alive(timeout: float = 1.0) -> bool:
    """True as soon as one worker answers a ping; False after `timeout` with no answer."""
    try:
        with connection() as own:
            return bool(current_app.control.ping(timeout=timeout, limit=1, connection=own))
    except OperationalError:
        return False


def inspect(command: str, timeout: float) -> dict:
    """Every answering worker's reply to one inspect command (`stats`, `active`, ...), by node name.
    Raises what the broker raises: callers decide what an unreachable broker means to them."""
    with connection() as own:
        return getattr(current_app.control.inspect(timeout=timeout, connection=own), command)() or {}


def revoke(task_ids: str | list[str], terminate: bool, signal: str) -> bool:
    """Tell the live workers to drop a task, or several in one broadcast (and kill their pool
    processes with `signal` when `terminate`); False when the broker could not be reached."""
    try:
        with connection() as own:
            current_app.control.revoke(task_ids, terminate=terminate, signal=signal, connection=own)
    except OperationalError:
        return False
    return True


def command(name: str, node: str, arguments: dict, timeout: float) -> dict | None:
    """One worker's reply to one control command (Celery's `{"ok": ...}` or `{"error": ...}`), None when
    it did not answer within `timeout`. Only `node` is asked, and the wait ends at its reply."""
    with connection() as own:
        replies = current_app.control.broadcast(
            name, arguments=arguments, destination=[node], reply=True, timeout=timeout, limit=1, connection=own
        )
    return next((reply[node] for reply in replies or [] if node in reply), None)


def inspect_one(command: str, node: str, timeout: float, *args) -> object:
    """One worker's answer to one inspect command (`active`, `reserved`, ...), None without one in time."""
    with connection() as own:
        asked = current_app.control.inspect(destination=[node], timeout=timeout, limit=1, connection=own)
        return (getattr(asked, command)(*args) or {}).get(node)


def answers(node: str, timeout: float) -> bool:
    """Does `node` answer a ping within `timeout`?"""
    with connection() as own:
        return bool(current_app.control.ping(destination=[node], timeout=timeout, limit=1, connection=own))
