"""`manage.py worker_control NAME ACTION [key=value ...]`: one control command to one worker, its
answer printed, and recorded like the page's and the API's (tasks_app.services.worker_control)."""

from django.core.management.base import BaseCommand, CommandError

from tasks_app.errors import UserError
from tasks_app.management.commands._common import command_error
from tasks_app.services import worker_control


class Command(BaseCommand):
    help = (
        "Send one worker a control command and print its answer: pool_grow [n=1], pool_shrink [n=1], "
        "rate_limit task=echo rate_limit=10/m, add_consumer queue=low, cancel_consumer queue=low --yes, "
        "shutdown --yes. Exits 1 on an error or no reply. The command is recorded (who: the --by name). "
        "Celery's own `celery --app helloworld control` sends the same commands, unchecked and unrecorded."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the worker's node name, such as celery@host (see the dashboard)")
        parser.add_argument("action", choices=worker_control.ACTIONS)
        parser.add_argument("arguments", nargs="*", metavar="key=value", help="the command's arguments")
        parser.add_argument("--yes", action="store_true", help="confirm cancel_consumer or shutdown")
        parser.add_argument("--by", default="manage.py", help="who to record as having sent it")

    def handle(self, *args, name, action, arguments, yes, by, **options):
        pairs = [argument.partition("=") for argument in arguments]
        if any(not sep or not key for key, sep, _ in pairs):
            raise CommandError("Give the arguments as key=value, such as n=2 or queue=low.")
        if action in worker_control.DESTRUCTIVE and not yes:
            raise CommandError(f"{action} stops work on {name}: add --yes to confirm.")
        try:
            outcome = worker_control.send(name, action, {key: value for key, _, value in pairs}, by=by)
        except UserError as exc:
            raise command_error(exc) from None
        if not outcome.ok:
            raise CommandError(f"{outcome.outcome}: {outcome.reply}", returncode=1)
        self.stdout.write(f"ok: {outcome.reply}")
