"""Messages a consumer has taken but not yet acknowledged, kept on disk until it does, as kombu's
Redis transport keeps them in its `unacked` hash. With `acks_late`, a worker killed mid-task
(SIGKILL, the OOM killer, a power cut) leaves its tasks here, and a consumer that sweeps later
puts them back on their queues, so they run again instead of being lost.

Each consuming process has a folder of its own, `<processed>/<owner>/<queue>/<message>`, and holds a
POSIX lock (fcntl) on the folder's `.lock` file for as long as it lives. Unlike flock's, a POSIX lock
belongs to the process: a pool process forked from a worker does not inherit it, and the kernel
drops it the moment its process dies, however it dies. A process that can take the lock of another
owner's folder knows that owner is dead. It moves the messages back, one rename each, into their
queue's folder, where their names (time first) sort them ahead of newer messages.

A clean stop needs none of this: kombu restores a closing channel's unacknowledged messages itself
(Channel._restore), and each restored message's claim is then removed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from contextlib import suppress
from pathlib import Path

from helloworld.transports import doorbell, files

LOCK = ".lock"


class Claims:
    """This process's folder of unacknowledged messages under one processed folder."""

    def __init__(self, processed_folder: Path):
        self.folder = Path(processed_folder) / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.folder.mkdir(parents=True)
        # Held open for the life of the process: closing any descriptor of the file would drop the lock.
        self._lock = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.lockf(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._queues: set[str] = set()

    def take(self, source: str, queue: str, name: str) -> Path:
        """Rename the message at `source` into this folder (FileNotFoundError: another reader won)."""
        if queue not in self._queues:
            (self.folder / queue).mkdir(exist_ok=True)
            self._queues.add(queue)
        claimed = self.folder / queue / name
        os.rename(source, claimed)
        return claimed


_mine: dict[tuple[int, Path], Claims] = {}


def of_this_process(processed_folder) -> Claims:
    """The one Claims of this process for `processed_folder` (a forked child makes its own)."""
    key = (os.getpid(), Path(processed_folder))
    claims = _mine.get(key)
    if claims is None:
        claims = _mine[key] = Claims(processed_folder)
    return claims


def release(path: Path) -> None:
    """The message was acknowledged, rejected or put back: forget its claim."""
    with suppress(FileNotFoundError):
        os.remove(path)


def recover(processed_folder, options: dict) -> list[str]:
    """Put back on their queues the messages of every owner that has died; returns their names."""
    processed_folder = Path(processed_folder)
    own = {claims.folder.name for (pid, folder), claims in _mine.items() if pid == os.getpid()}
    recovered: list[str] = []
    with suppress(FileNotFoundError):
        owners = [entry for entry in os.scandir(processed_folder) if entry.is_dir() and entry.name not in own]
        for owner in owners:
            recovered += _recover_owner(Path(owner.path), options)
    return recovered


def _recover_owner(folder: Path, options: dict) -> list[str]:
    try:
        lock = os.open(folder / LOCK, os.O_RDWR)
    except FileNotFoundError:
        return []  # being set up (its lock comes before any claim), or removed meanwhile
    recovered: list[str] = []
    try:
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return recovered  # its owner is alive (or another process is recovering it)
        for queue in [entry.name for entry in os.scandir(folder) if entry.is_dir()]:
            names = os.listdir(folder / queue)
            destination = files.queue_folder(options, queue)
            if names:
                destination.mkdir(parents=True, exist_ok=True)  # swept meanwhile, if it expires
            for name in names:
                os.rename(folder / queue / name, destination / name)
                recovered.append(f"{queue}/{name}")
            if names:
                doorbell.ring(destination)
        shutil.rmtree(folder, ignore_errors=True)
    except FileNotFoundError:
        pass  # another process is recovering it too: each rename moves a message once
    finally:
        os.close(lock)
    return recovered
