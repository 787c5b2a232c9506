"""`manage.py export_tasks --format csv|json [filters]`: the tasks list as `/tasks/export/` gives it,
written to stdout, a page of rows at a time, at most TASK_EXPORT_MAX_ROWS rows."""

from types import SimpleNamespace

from django.core.management.base import BaseCommand

from tasks_app import services
from tasks_app.errors import UserError
from tasks_app.management.commands._common import add_filter_arguments, command_error, filter_help
from tasks_app.selectors import export, filters

# Whoever runs the CLI is on the server: it sees every task, as staff does (tasks_app.access.is_open).
SERVER = SimpleNamespace(is_authenticated=True, is_staff=True, pk=None)


class Command(BaseCommand):
    help = (
        "Export the tasks the filters select (every task, as staff sees them), newest first, as CSV or "
        "JSON: at most TASK_EXPORT_MAX_ROWS rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=export.FORMATS, default="csv", help="csv (the default) or json")
        parser.add_argument("--state", dest="filter_state", help="only tasks in this state (SUCCESS, FAILURE, ...)")
        add_filter_arguments(parser)

    def handle(self, *args, **options):
        names = (*filter_help(), "state")
        given = {name: options[f"filter_{name}"] for name in names if options.get(f"filter_{name}")}
        try:
            cleaned = filters.parse(given, services.site_time_zone())
        except UserError as exc:
            raise command_error(exc) from None
        for chunk in export.stream(SERVER, cleaned, options["format"]):
            self.stdout.write(chunk, ending="")
