"""The schedule parser and preview are pure: they run in a bare interpreter, with no Django settings,
no models and no database; only rows.py touches django-celery-beat's rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django_celery_beat.models import CrontabSchedule

from tasks_app import schedules
from tasks_app.schedules import crontab, rows

ROOT = Path(__file__).resolve().parents[2]

BARE = """
import json, sys
from datetime import UTC, datetime
from tasks_app.schedules import parsing, preview, text

now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
spec = parsing.parse("*/15 9-17 * * mon-fri, 3 times", tz=UTC, now=now)
print(json.dumps({
    "text": text.text_of(spec, tz=UTC),
    "describe": text.describe(spec, tz=UTC),
    "runs": [run.isoformat() for run in preview.next_runs(spec, tz=UTC, after=now)],
    "summary": preview.run_summary(spec, tz=UTC, after=now),
    "loaded": sorted(name for name in sys.modules if name.startswith(("django.db", "django.apps", "tasks_app.models"))),
}))
"""


def test_parse_and_preview_run_without_django_settings_models_or_a_database():
    env = {key: value for key, value in os.environ.items() if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-c", BARE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["loaded"] == []
    assert out["text"] == "*/15 9-17 * * mon-fri, 3 times"
    assert out["describe"].startswith("Every 15 minutes")
    assert out["runs"] == ["2026-11-23T12:15:00+00:00", "2026-11-23T12:30:00+00:00", "2026-11-23T12:45:00+00:00"]
    assert out["summary"] == "3 runs, the last at 2026-11-23 12:45 (UTC)."


def test_the_parsers_column_widths_are_the_models():
    for attribute, width in crontab.MAX_LENGTHS.items():
        assert CrontabSchedule._meta.get_field(attribute).max_length == width, attribute


def test_the_rows_names_are_still_the_packages():
    from tasks_app.schedules import save_schedule

    assert save_schedule is rows.save_schedule
    assert schedules.from_periodic_task is rows.from_periodic_task
    assert schedules.limits_of is rows.limits_of
    assert schedules.save_with_limits is rows.save_with_limits
    for name in schedules.__all__:
        assert getattr(schedules, name) is not None, name
