"""`manage.py failures`: the failed tasks of the last week, grouped by cause (the failures page's
twin); `--retry GROUP` retries a group's tasks, `--dismiss GROUP` hides it until it fails again."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from tasks_app import services
from tasks_app.errors import UserError
from tasks_app.management.commands._common import command_error
from tasks_app.selectors import failures
from tasks_app.services import failures as actions


class Everyone:
    """The CLI's viewer: whoever runs it is on the server and sees every task, as staff does."""

    is_authenticated = True
    is_staff = True
    pk = None


class Command(BaseCommand):
    help = (
        f"List the failed tasks of the last {failures.WINDOW.days} days grouped by task, exception and message "
        "(one line a group: id, count, last seen, task, exception, message); --retry or --dismiss a group by its id."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--retry", metavar="GROUP", help="retry every failed task of this group")
        action.add_argument("--dismiss", metavar="GROUP", help="hide this group until one of its tasks fails again")
        parser.add_argument("--all", action="store_true", help="list the dismissed groups too")

    def handle(self, *args, retry=None, dismiss=None, **options):
        try:
            if retry:
                done = actions.retry_group(failures.find(Everyone(), retry), sent_from=services.SentFrom.CLI)
                for new_id in done.task_ids:
                    self.stdout.write(new_id)
                self.stdout.write("\n".join(done.summary("Retried", "failed")))
            elif dismiss:
                group = failures.find(Everyone(), dismiss)
                actions.dismiss(group)
                self.stdout.write(f"Dismissed {group.id} ({group.count} failures); it comes back if it fails again.")
            else:
                self._list(options["all"])
        except UserError as exc:
            raise command_error(exc) from None

    def _list(self, show_dismissed: bool) -> None:
        found = failures.overview(Everyone(), show_dismissed=show_dismissed)
        for group in found.groups:
            seen = timezone.localtime(group.last_seen).strftime("%Y-%m-%d %H:%M:%S")
            mark = " (dismissed)" if group.dismissed else ""
            self.stdout.write(
                f"{group.id}  {group.count:>5}  {seen}  {group.task_name}  {group.exception}: {group.message}{mark}"
            )
        if not found.groups:
            self.stdout.write(f"No failures in the last {failures.WINDOW.days} days.")
        if found.hidden and not show_dismissed:
            self.stdout.write(f"{found.hidden} dismissed group(s) not shown (--all shows them).")
        if found.capped:
            self.stderr.write(f"Only the latest {failures.SCAN_MAX} failures were read; older ones are left out.")
