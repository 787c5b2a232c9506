"""`python -m helloworld.procfile …` is honcho, with the platform's grace period for stopping.

honcho sends SIGTERM to every process, then SIGKILL after `honcho.manager.KILL_WAIT` seconds,
which is 5 and not an option. A Celery worker's warm shutdown (finish the running tasks,
close the pool, the timer and the broker connection) takes longer than that even when idle,
so honcho would SIGKILL it on every Ctrl-C and every dyno restart. Platforms allow 30 seconds
between SIGTERM and SIGKILL; wait 25 of them, so that honcho still stops first.
"""

import sys

import honcho.manager
from honcho.command import main

GRACE_SECONDS = 25

honcho.manager.KILL_WAIT = GRACE_SECONDS

if __name__ == "__main__":
    sys.exit(main())
