"""`python -m helloworld.procfile …` is honcho, with the platform's grace period for stopping,
a second Ctrl-C that stops everything at once, and exit status 0 for a stop that was asked for.

honcho sends SIGTERM to every process, then SIGKILL after `honcho.manager.KILL_WAIT` seconds,
which is 5 and not an option. A Celery worker's warm shutdown (finish the running tasks,
close the pool, the timer and the broker connection) takes longer than that even when idle,
so honcho would SIGKILL it on every Ctrl-C and every dyno restart. Platforms allow 30 seconds
between SIGTERM and SIGKILL; wait 25 of them, so that honcho still stops first.

honcho ignores every signal after the first, so a person who does not want to wait for a
running task to finish had no way out but another terminal; here a second Ctrl-C (or SIGTERM)
SIGKILLs every process group at once. And honcho exits 130 after Ctrl-C even when everything
stopped cleanly, which `make run` reports as `Error 130` (and make exits 2): a stop that was
asked for exits 0, whether every process finished on its own or a second Ctrl-C stopped them at
once; only one that ran out of its grace period and needed honcho's SIGKILL keeps 130 (or 143).
"""

import signal
import sys

import honcho.command
import honcho.manager

GRACE_SECONDS = 25

honcho.manager.KILL_WAIT = GRACE_SECONDS


class Manager(honcho.manager.Manager):
    """honcho's manager, with the stopping rules above."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked_to_stop = None  # the first SIGINT or SIGTERM received
        self.killed = False  # SIGKILL sent: at the end of the grace period, or on request
        self.killed_on_request = False  # by a second signal: the person asked to stop at once

    def _start(self):
        # loop() installs honcho's handlers just before it starts the processes: replace them.
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        super()._start()

    def _on_signal(self, signum, frame):
        name = honcho.manager.SIGNALS[signum]["name"]
        if self.asked_to_stop is None:
            self.asked_to_stop = signum
            self._system_print(f"{name} received: stopping (send it again to stop at once)\n")
            self.returncode = honcho.manager.SIGNALS[signum]["rc"]
            self.terminate()
        else:
            self._system_print(f"{name} received again: stopping every process now\n")
            self.killed_on_request = True
            self.kill()

    def kill(self):
        self.killed = True
        super().kill()

    def loop(self):
        super().loop()
        if self.asked_to_stop is not None and (self.killed_on_request or not self.killed):
            self.returncode = 0


def main() -> None:
    honcho.command.Manager = Manager  # command_start() builds its manager from this name
    honcho.command.main()


if __name__ == "__main__":
    sys.exit(main())
