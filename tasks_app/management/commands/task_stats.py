"""`manage.py task_stats`: the dashboard's "Task types" as a table, or with --json as GET /api/stats/ answers."""

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from tasks_app.selectors import task_stats

COLUMNS = ("task type", "runs/h", "runs/day", "ok/day", "p50", "p95", "wait p50", "slowest run")


class Command(BaseCommand):
    help = "Print each task type's runs in the last hour and day, success rate, runtime and wait percentiles."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print JSON, as GET /api/stats/ answers"
        )

    def handle(self, *args, as_json: bool = False, **options):
        found = task_stats.compute(timezone.now())  # a script wants the figures of now, not cached ones
        if as_json:
            self.stdout.write(json.dumps(found.as_json(), indent=2))
            return
        if not found.types:
            self.stdout.write("No task finished in the last day.")
            return
        rows = [COLUMNS] + [_row(stats) for stats in found.types]
        widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
        for row in rows:  # the name left-aligned, the numbers right-aligned
            cells = [row[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
            ]
            self.stdout.write("  ".join(cells).rstrip())
        self.stdout.write(
            f"Percentiles over each type's newest {found.sample_per_type} runs of the day; slowest: its task id."
        )


def _row(stats: task_stats.TypeStats) -> tuple[str, ...]:
    texts = stats.texts
    slowest = stats.slowest[0] if stats.slowest else None
    return (
        stats.name,
        str(stats.runs["hour"]["runs"]),
        str(stats.runs["day"]["runs"]),
        stats.day_rate_percent,
        texts["p50"],
        texts["p95"],
        texts["wait"],
        f"{slowest.runtime_text} {slowest.task_id}" if slowest else "—",
    )
