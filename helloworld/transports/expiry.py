"""Queues that go away when nobody uses them, as AMQP's auto-delete and `x-expires` queues do.

A queue declared `auto_delete` or with `x-expires` (Celery's event receivers, kombu's remote-control
reply queues, each worker's pidbox queue) gets a lease file in its folder holding its lifetime in
seconds; the file's modification time is its last use. Declaring the queue and consuming from it
renew the lease (a consumer renews it every RENEW_EVERY seconds from its polling loop), so a lease
that has not been renewed for its lifetime means its consumer has gone: killed, crashed or simply
finished. Any process that polls the broker sweeps now and then: it removes the expired queue's
bindings from every exchange (so nothing is routed there any more), then its folder and messages.

A queue declared without either (the site's own task queues) has no lease and is never swept;
declaring a queue that way removes any lease it had, so that it can never expire afterwards.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from contextlib import suppress
from pathlib import Path

from kombu.transport.filesystem import LOCK_EX, exchange_queue_t, lock, unlock
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

from helloworld.transports.files import write_whole

LEASE = ".lease"
GONE_PREFIX = ".gone-"
# A live consumer renews its queues' leases this often; an auto-delete queue (deleted by AMQP when its
# last consumer leaves) is taken to have lost its consumer after GONE_AFTER without a renewal.
RENEW_EVERY = 2.0
GONE_AFTER = 10.0
SWEEP_EVERY = 5.0


def lifetime(auto_delete: bool = False, arguments: dict | None = None, **_ignored) -> float | None:
    """Seconds a queue outlives its last use, from its declaration; None: it never expires."""
    expires = (arguments or {}).get("x-expires")
    seconds = expires / 1000 if isinstance(expires, int | float) and expires > 0 else None
    if auto_delete:
        seconds = min(seconds or GONE_AFTER, GONE_AFTER)
    return seconds


def declare(folder: Path, seconds: float | None) -> None:
    """Create the queue's folder, with a fresh lease if it expires, without one if it does not."""
    folder.mkdir(parents=True, exist_ok=True)
    lease = folder / LEASE
    if seconds is None:
        with suppress(FileNotFoundError):
            lease.unlink()
    else:
        write_whole(lease, str(seconds).encode())


def renew(folder: Path) -> bool:
    """Mark the queue used now; False when its lease is gone (the queue expired meanwhile)."""
    try:
        os.utime(folder / LEASE)
    except FileNotFoundError:
        return False
    return True


def has_expired(folder, now: float) -> bool:
    lease = os.path.join(folder, LEASE)
    try:
        last_use = os.stat(lease).st_mtime
        with open(lease) as handle:
            seconds = float(handle.read())
    except (FileNotFoundError, ValueError):
        return False  # no lease: a queue that never expires (or one being declared right now)
    return now - last_use > seconds


def remove_folder(folder: Path) -> None:
    """Rename the folder out of the way in one step (a message renamed into it afterwards fails
    as for a deleted queue), then remove it and its messages."""
    gone = folder.parent / f"{GONE_PREFIX}{uuid.uuid4().hex}"
    try:
        os.rename(folder, gone)
    except FileNotFoundError:
        return  # another process removed it first
    shutil.rmtree(gone, ignore_errors=True)


def unbind(control_folder: Path, doomed) -> int:
    """Remove every binding whose queue `doomed(queue)` says is gone from every exchange file,
    under the same lock kombu takes to change one. Returns how many were removed."""
    removed = 0
    for file in Path(control_folder).glob("*.exchange"):
        try:
            handle = file.open("rb+", buffering=0)
        except FileNotFoundError:
            continue
        try:
            lock(handle, LOCK_EX)
            table = [exchange_queue_t(*entry) for entry in loads(bytes_to_str(handle.read()) or "[]")]
            kept = [entry for entry in table if not doomed(entry.queue)]
            if len(kept) != len(table):
                handle.seek(0)
                handle.write(str_to_bytes(dumps(kept)))
                handle.truncate()
                removed += len(table) - len(kept)
        finally:
            unlock(handle)
            handle.close()
    return removed


def sweep(queues_folder: Path, control_folder: Path, *, dangling: bool = False, now: float | None = None) -> list[str]:
    """Remove the queues whose lease has expired: their bindings first, then their folders.
    `dangling` also removes bindings to queues whose folder does not exist (left by a queue
    deleted before it was unbound, or by the flat layout of older versions). Returns the names
    of the queues removed."""
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(queues_folder))
    except FileNotFoundError:
        return []
    expired = []
    for entry in entries:
        if entry.name.startswith(GONE_PREFIX):
            shutil.rmtree(entry.path, ignore_errors=True)  # left by a sweep that was interrupted
        elif entry.is_dir() and has_expired(entry.path, now):
            expired.append(entry.name)
    if expired or dangling:
        doomed_names = set(expired)

        def doomed(queue: str) -> bool:
            # A folder is created before its queue is bound, so a binding without one is dangling.
            return queue in doomed_names or (dangling and not (queues_folder / queue).is_dir())

        unbind(control_folder, doomed)
    for name in expired:
        remove_folder(queues_folder / name)
    return expired
