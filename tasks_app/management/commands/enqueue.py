"""`manage.py enqueue TASK`: the form on the command line, through the same services."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from tasks_app import catalog, services, validation
from tasks_app.errors import UserError
from tasks_app.management.commands._common import command_error, parse_json_option
from tasks_app.selectors import status
from tasks_app.states import FAILED_STATES, QUEUED


class Command(BaseCommand):
    help = "Send a task now (prints its id) or on a schedule (prints the periodic task)."

    def add_arguments(self, parser):
        parser.add_argument("task", help=validation.in_words(catalog.names()))
        # dest: Django's BaseCommand keeps `args` for itself.
        parser.add_argument("--args", dest="task_args", help="JSON list of positional arguments, e.g. '[\"hello\"]'")
        parser.add_argument(
            "--kwargs", dest="task_kwargs", help="JSON object of keyword arguments, e.g. '{\"seconds\": 5}'"
        )
        parser.add_argument("--queue", help=f"{validation.in_words(catalog.queues())} (default: the task's own)")
        parser.add_argument("--schedule", help="e.g. 'every 5 minutes', '0 4 * * *', 'at 2026-12-01 09:30'")
        parser.add_argument("--name", help="the periodic task's name (with --schedule)")
        parser.add_argument(
            "--wait", action="store_true", help="then wait, and print its result (JSON); exit 1 if the task fails"
        )
        parser.add_argument("--timeout", type=float, default=300, help="seconds --wait waits (default 300)")

    def handle(self, *args, **options):
        if options["wait"] and options["schedule"]:
            raise CommandError("--wait waits for one task; a schedule sends many. Use one or the other.")
        if options["timeout"] <= 0:
            raise CommandError("--timeout must be a positive number of seconds.")
        try:
            task_args = parse_json_option(options["task_args"], "args")
            task_kwargs = parse_json_option(options["task_kwargs"], "kwargs")
            if options["schedule"] is not None:
                periodic = services.schedule(
                    options["task"],
                    task_args,
                    task_kwargs,
                    options["queue"],
                    options["schedule"],
                    options["name"],
                )
                self.stdout.write(f"Scheduled periodic task {periodic.name!r} (id {periodic.pk}).")
                return
            if options["name"] is not None:
                raise CommandError("--name names a periodic task: give it with --schedule.")
            record = services.enqueue(
                options["task"], task_args, task_kwargs, options["queue"], sent_from=services.SentFrom.CLI
            )
        except UserError as exc:
            raise command_error(exc) from None
        self.stdout.write(record.task_id)
        if options["wait"]:
            wait(self, record.task_id, options["timeout"])


def wait(command: BaseCommand, task_id: str, timeout: float, interval: float = 0.25) -> None:
    """Poll the database (where the status page reads too) until the task finishes; print its
    result as JSON (the id is already printed; `task_status ID` prints the whole record);
    CommandError (exit 1, its error on stderr) if it failed, was revoked, or did not finish in time."""
    deadline = time.monotonic() + timeout
    while True:
        found = status.get(task_id)
        if found is not None and found.finished:
            break
        if time.monotonic() >= deadline:
            state = found.state if found else QUEUED
            raise CommandError(f"Task {task_id} is still {state} after {timeout:g} seconds.")
        time.sleep(interval)
    if found.state in FAILED_STATES:  # a failure: exit status 1
        raise CommandError(f"Task {task_id} ended {found.state}" + (f": {found.error}" if found.error else "."))
    command.stdout.write(json.dumps(found.result, indent=2, ensure_ascii=False))
