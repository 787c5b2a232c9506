"""Worker control: grow or shrink one worker's pool, set a task type's rate limit on it, have it
consume from a site queue or stop, or shut it down warm. The page, the API and the CLI call `send`.

Each command goes by Celery's remote control to that worker alone (`destination=[name]`) and waits
for its reply (`reply=True`) for REPLY_SECONDS: what the person sees is the worker's own answer, ok
or error, or that none came, never a hopeful "sent". Every command is recorded (WorkerAction) with
who sent it, its arguments and the answer, as Flower (flower/api/control.py) does not.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from kombu.exceptions import OperationalError

from tasks_app import catalog
from tasks_app.broker import control
from tasks_app.errors import UserError
from tasks_app.models import WorkerAction
from tasks_app.services.sending import BrokerUnavailable

REPLY_SECONDS = 3.0
ACTIONS = ("pool_grow", "pool_shrink", "rate_limit", "add_consumer", "cancel_consumer", "shutdown")
# Asked to confirm first: a worker that stops consuming or stops altogether runs nothing more.
DESTRUCTIVE = ("cancel_consumer", "shutdown")
# Celery's own rate syntax (celery.utils.time.rate): a number of tasks, per second unless /s, /m or /h.
RATE = re.compile(r"\d{1,9}(\.\d{1,6})?(/[smh])?")
MOST_POOL_CHANGE = 100


class WorkerControlError(UserError):
    """Input a control command cannot take: an unknown action, queue or task type, a bad number or rate."""


class UnknownAction(WorkerControlError):
    """An action that is not one of ACTIONS (the API answers 404: no such endpoint)."""


@dataclass(frozen=True)
class Outcome:
    """What the worker answered: `outcome` is ok, error or no reply; `reply` its words (or why none)."""

    worker: str
    action: str
    arguments: dict
    outcome: str
    reply: str

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def as_json(self) -> dict:
        return {
            "worker": self.worker,
            "action": self.action,
            "arguments": self.arguments,
            "outcome": self.outcome,
            "reply": self.reply,
        }


def _pool_change(value) -> int:
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not text.isdigit() or not 1 <= int(text) <= MOST_POOL_CHANGE:
        raise WorkerControlError(f"n must be a whole number from 1 to {MOST_POOL_CHANGE}, not {value!r}.", "n")
    return int(text)


def _rate(value) -> str:
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not RATE.fullmatch(text):
        raise WorkerControlError(
            f"{value!r} is not a rate: write a number of tasks per second ('5'), or per second, minute or hour "
            "('5/s', '10/m', '100/h'); '0' lifts the limit.",
            "rate_limit",
        )
    return text


def _queue(value) -> str:
    if value not in settings.QUEUES:
        raise WorkerControlError(
            f"Unknown queue {value!r}: the site's queues are {', '.join(settings.QUEUES)}.", "queue"
        )
    return value


def _task_name(value) -> str:
    if value not in catalog.names():
        raise WorkerControlError(f"Unknown task type {value!r}: choose one of {', '.join(catalog.names())}.", "task")
    return value


FIELDS: dict[str, dict[str, Callable[[object], object]]] = {
    "pool_grow": {"n": _pool_change},
    "pool_shrink": {"n": _pool_change},
    "rate_limit": {"task": _task_name, "rate_limit": _rate},
    "add_consumer": {"queue": _queue},
    "cancel_consumer": {"queue": _queue},
    "shutdown": {},
}
DEFAULTS: dict[str, object] = {"n": 1}


def check(action: str, arguments: dict) -> dict:
    """The arguments, checked and tidied (`n` an int, a queue by its short name); WorkerControlError if not."""
    if action not in FIELDS:
        raise UnknownAction(f"Unknown action {action!r}: choose one of {', '.join(ACTIONS)}.", "action")
    fields = FIELDS[action]
    if not isinstance(arguments, dict):
        raise WorkerControlError("The arguments must be a JSON object.")
    unknown = sorted(set(arguments) - set(fields))
    if unknown:
        expected = ", ".join(fields) or "none"
        raise WorkerControlError(f"{action} takes no {', '.join(unknown)} (it takes: {expected}).", unknown[0])
    checked = {}
    for name, parse in fields.items():
        if name not in arguments and name not in DEFAULTS:
            raise WorkerControlError(f"{action} needs {name}.", name)
        checked[name] = parse(arguments.get(name, DEFAULTS.get(name)))
    return checked


def _celery_arguments(action: str, checked: dict) -> dict:
    """What Celery's control command takes: full task and queue names."""
    if "queue" in checked:
        return {"queue": settings.QUEUES[checked["queue"]]}
    if action == "rate_limit":
        return {"task_name": catalog.ENTRIES[checked["task"]].task.name, "rate_limit": checked["rate_limit"]}
    return dict(checked)


def _check_worker(worker) -> str:
    # Celery names every worker name@host (a --hostname without @ gets celery@ in front).
    if not isinstance(worker, str) or "@" not in worker or len(worker) > 255 or not worker.isprintable():
        raise WorkerControlError("A worker's name is its Celery node name, such as celery@host.", "worker")
    return worker


def _answer(worker: str, reply: dict | None, timeout: float) -> tuple[str, str]:
    if reply is None:
        return "no reply", f"{worker} did not answer within {timeout:g} s."
    if "ok" in reply:
        return "ok", str(reply["ok"])
    return "error", str(reply.get("error", reply))


def _shut_down(worker: str, timeout: float) -> tuple[str, str]:
    """Celery's shutdown never replies (the worker raises SystemExit while handling it), so the answer
    is whether a worker that answered a ping just before stops answering within `timeout`."""
    if not control.answers(worker, timeout):
        return "no reply", f"{worker} did not answer within {timeout:g} s, so it was not told to shut down."
    control.command("shutdown", worker, {}, timeout=0.2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not control.answers(worker, 0.5):
            return "ok", "shut down: it no longer answers (a warm shutdown: its running tasks finished first)."
    return "no reply", (
        f"{worker} still answers {timeout:g} s later: a warm shutdown lets its running tasks finish first; "
        "look again in a moment."
    )


def send(worker: str, action: str, arguments: dict, by: str, timeout: float | None = None) -> Outcome:
    """Send one command to one worker, wait for its answer (REPLY_SECONDS unless `timeout`), record
    both; BrokerUnavailable when the broker cannot be reached (nothing was sent, nothing recorded)."""
    timeout = timeout or REPLY_SECONDS
    worker = _check_worker(worker)
    checked = check(action, arguments)
    try:
        if action == "shutdown":
            outcome, words = _shut_down(worker, timeout)
        else:
            outcome, words = _answer(
                worker, control.command(action, worker, _celery_arguments(action, checked), timeout), timeout
            )
    except OperationalError as exc:
        raise BrokerUnavailable("The broker cannot be reached, so nothing was sent", detail=str(exc)) from exc
    WorkerAction.objects.create(
        by=by[:150], worker=worker, action=action, arguments=checked, outcome=outcome, reply=words[:2000]
    )
    return Outcome(worker, action, checked, outcome, words)
