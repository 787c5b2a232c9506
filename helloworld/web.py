"""The platform's `web` process: gunicorn, or in one-dyno mode the whole site under honcho.

WEB_MODE=one-dyno runs Procfile.real (web, worker and beat) inside the one web dyno, for
the smallest deployments; anything else runs gunicorn alone. The process replaces itself
(exec), so the platform's signals reach gunicorn or honcho directly.
"""

import os
import sys

ONE_DYNO = "one-dyno"
MODES = (ONE_DYNO, "web")


def command(mode: str, port: str) -> list[str]:
    if mode == ONE_DYNO:
        return [sys.executable, "-m", "helloworld.procfile", "--procfile", "Procfile.real", "start", "--port", port]
    return ["gunicorn", "helloworld.wsgi", "--config", "python:helloworld.gunicorn_conf"]


def main() -> None:
    mode = os.environ.get("WEB_MODE", "web").strip().lower() or "web"
    if mode not in MODES:
        sys.exit(f"WEB_MODE={mode!r} is not a mode; use {' or '.join(MODES)}.")
    argv = command(mode, os.environ.get("PORT", "8000"))
    os.execvp(argv[0], argv)  # noqa: S606  (a fixed program and arguments, no shell)


if __name__ == "__main__":
    main()
