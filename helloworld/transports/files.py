"""Where the embedded broker keeps its messages: one folder per queue, one file per message.

Under the broker's root (helloworld.brokers.filesystem):
- `queue/` (kombu's `data_folder_in`/`data_folder_out`): a message is written here under a name no
  reader matches, then renamed into its queue's folder, so that readers see it whole or not at all.
- `queues/<queue>/<time>_<uuid>.msg`: the messages waiting in one queue; names sort oldest first.
  A folder per queue makes a poll of one queue cost nothing for the others' backlog, and lets a
  reader ask the folder's modification time whether anything arrived before it lists the folder.
- `processed/`: a reader takes a message by renaming it here (one rename wins, so exactly one
  reader gets it): into `processed/<owner>/<queue>/` until it is acknowledged (claims.py), or,
  for a consumer that sends no acknowledgements, straight into `processed/`, read and removed.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections import deque
from contextlib import suppress
from pathlib import Path

MESSAGE_SUFFIX = ".msg"
# Ends the name a file is written under before it is renamed into place: no reader matches it.
PARTIAL_SUFFIX = ".part"
# A queue's folder is a direct child of the queues folder; names starting with a dot are ours.
QUEUE_NAME_RE = re.compile(r"\A[^./\\\x00][^/\\\x00]*\Z")
# kombu's own file name, `<ms>_<uuid>.<queue>.msg`, in the flat folder older versions used.
LEGACY_NAME_RE = re.compile(r"\A(\d+)_([0-9a-f-]+)\.(.+)\.msg\Z")
# A folder's modification time is trusted to show every change only once it is this much older than
# the listing it describes: the kernel stamps changes with a coarse clock (one tick, 1 to 10 ms),
# so a file added just after a listing can leave the time as it was.
SETTLED_NS = 50_000_000


def write_whole(path, body: bytes, *, exclusive: bool = False, staging=None) -> None:
    """Write `body` to `path` so that readers see it complete or not at all: under a name no
    reader matches (beside `path`, or in `staging` on the same file system), then renamed into
    place (atomic on POSIX). `exclusive` hard-links instead, which raises FileExistsError if
    `path` already exists, and leaves it untouched."""
    name = f"{os.path.basename(path)}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}"
    partial = os.path.join(staging, name) if staging else f"{os.fspath(path)}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}"
    try:
        with open(partial, "wb") as handle:
            handle.write(body)
        (os.link if exclusive else os.replace)(partial, path)
    except BaseException:
        with suppress(OSError):
            os.remove(partial)
        raise
    if exclusive:
        os.remove(partial)  # the link is the file now


def queues_folder(options: dict) -> Path:
    """The folder that holds one folder per queue (`queues_folder`, else beside `data_folder_in`)."""
    explicit = options.get("queues_folder")
    if explicit:
        return Path(explicit)
    return Path(options.get("data_folder_in", "data_in")).absolute().parent / "queues"


def queue_folder(options: dict, queue: str) -> Path:
    if not isinstance(queue, str) or not QUEUE_NAME_RE.match(queue):
        raise ValueError(f"Invalid queue name for the filesystem broker: {queue!r}")
    return queues_folder(options) / queue


def message_name() -> str:
    """A new message's file name: wall-clock nanoseconds (zero-padded, so names sort in time
    order across processes and reboots), then a uuid so that no two names collide."""
    return f"{time.time_ns():020d}_{uuid.uuid4().hex}{MESSAGE_SUFFIX}"


def waiting(folder) -> list[str]:
    """The names of the messages waiting in one queue's folder, oldest first."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(name for name in names if name.endswith(MESSAGE_SUFFIX))


def adopt_legacy(staging, folder, queue: str) -> int:
    """Move messages for `queue` that kombu's flat layout left in `staging` into the queue's
    folder, ahead of any newer message (their monotonic milliseconds sort before wall-clock
    nanoseconds), so that an upgrade loses no waiting task. Returns how many moved."""
    moved = 0
    with suppress(FileNotFoundError):
        for name in os.listdir(staging):
            found = LEGACY_NAME_RE.match(name)
            if found and found.group(3) == queue:
                with suppress(FileNotFoundError):  # another process adopted it first
                    os.rename(
                        os.path.join(staging, name),
                        os.path.join(folder, f"{int(found.group(1)):020d}_{found.group(2)}{MESSAGE_SUFFIX}"),
                    )
                    moved += 1
    return moved


class QueueReader:
    """One reader's view of one queue's folder: the names it listed, oldest first, and the folder's
    modification time then. A poll of a queue whose folder has not changed costs one stat, and one
    listing serves every take until it runs out, so taking a message costs the same whatever the
    backlog (the listing is amortised over the messages it found)."""

    def __init__(self, folder):
        self.folder = os.fspath(folder)
        self.names: deque[str] = deque()
        self.listed_mtime: int | None = None  # set only once the listing is known to be complete

    def next_name(self) -> str | None:
        if not self.names and not self._relist():
            return None
        return self.names.popleft()

    def has_news(self) -> bool:
        """Whether a poll could find a message: names left from the last listing, or a folder
        changed since (one stat; a folder that does not exist has nothing)."""
        if self.names:
            return True
        try:
            return os.stat(self.folder).st_mtime_ns != self.listed_mtime
        except FileNotFoundError:
            return False

    def forget(self) -> None:
        self.names.clear()
        self.listed_mtime = None

    def _relist(self) -> bool:
        try:
            mtime = os.stat(self.folder).st_mtime_ns
        except FileNotFoundError:
            self.listed_mtime = None
            return False
        if mtime == self.listed_mtime:
            return False
        started = time.time_ns()
        self.names = deque(waiting(self.folder))
        self.listed_mtime = mtime if mtime < started - SETTLED_NS else None
        return bool(self.names)
