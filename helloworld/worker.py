"""The platform's `worker` (and `workerbeat`) process: a Celery worker named after its dyno.

The platform names each dyno (`DYNO=worker.1`, `worker.2` after scaling); a worker called
`worker.1@host` is one a person recognises on the dashboard, where `celery@<random host id>`
is not. Without DYNO (make run, a plain machine) Celery's own default name stays. Arguments are
passed on (`--beat --scheduler ...` for workerbeat). The process replaces itself (exec), so the
platform's signals reach Celery directly. The worker's database statements get the worker's
bounds (helloworld/database.py).
"""

import os
import sys

BASE = ["celery", "--app", "helloworld", "worker", "--loglevel", "INFO"]


def command(dyno: str, extra: list[str]) -> list[str]:
    argv = [*BASE, *extra]
    if dyno:
        # %h is Celery's own placeholder for the host name; two dynos never share a DYNO.
        argv += ["--hostname", f"{dyno}@%h"]
    return argv


def main() -> None:
    os.environ["HELLOWORLD_PROCESS"] = "worker"  # read by the settings of the process exec starts
    argv = command(os.environ.get("DYNO", "").strip(), sys.argv[1:])
    os.execvp(argv[0], argv)  # noqa: S606  (a fixed program and arguments, no shell)


if __name__ == "__main__":
    main()
