"""Each process's database bounds (helloworld/database.py): the web's, the worker's and beat's, each said by
its entry point and settable from the environment; none for manage.py. Checked on the real PostgreSQL with
SHOW, in a fresh interpreter per process."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from helloworld import database
from tests.support.processes import ROOT

SHOW = (
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    for name in ('statement_timeout', 'lock_timeout'):\n"
    "        cursor.execute(f'SHOW {name}'); print(cursor.fetchone()[0])\n"
)


def clean_env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HELLOWORLD_", "DJANGO_"))}
    return {**env, "HELLOWORLD_LOCAL": "1", **extra}


def shown(code: str, **env) -> list[str]:
    """statement_timeout and lock_timeout as PostgreSQL reports them to a process that ran `code` first."""
    completed = subprocess.run(
        [sys.executable, "-c", f"{code}\n{SHOW}"], cwd=ROOT, env=clean_env(**env), capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout.split()


def test_each_role_has_its_bounds_and_a_process_without_one_has_none():
    assert database.bounds({"HELLOWORLD_PROCESS": "web"}) == database.Bounds(statement=5, lock=2)
    assert database.bounds({"HELLOWORLD_PROCESS": "worker"}) == database.Bounds(statement=60, lock=10)
    assert database.bounds({"HELLOWORLD_PROCESS": "beat"}) == database.Bounds(statement=10, lock=5)
    assert database.bounds({}) is None


def test_each_bound_is_set_from_the_environment_in_seconds_and_0_lifts_it():
    environ = {"HELLOWORLD_PROCESS": "worker", "WORKER_DATABASE_STATEMENT_TIMEOUT": "120"}
    environ["WORKER_DATABASE_LOCK_TIMEOUT"] = "0"
    assert database.bounds(environ) == database.Bounds(statement=120, lock=0)
    # Another role's variables are not this one's.
    assert database.bounds({**environ, "HELLOWORLD_PROCESS": "web"}) == database.Bounds(statement=5, lock=2)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HELLOWORLD_PROCESS": "wokrer"}, "HELLOWORLD_PROCESS='wokrer' is not a process role; use web, worker, beat."),
        ({"HELLOWORLD_PROCESS": "web", "WEB_DATABASE_LOCK_TIMEOUT": "2s"}, "WEB_DATABASE_LOCK_TIMEOUT='2s' is not"),
        ({"HELLOWORLD_PROCESS": "beat", "BEAT_DATABASE_STATEMENT_TIMEOUT": "-1"}, "is negative; give seconds"),
    ],
)
def test_a_misspelt_role_or_bound_is_a_clear_error(environ, message):
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(")):
        database.bounds(environ)


def test_postgresql_gets_them_when_it_connects_and_options_in_the_url_still_win():
    entry = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"options": "-c statement_timeout=9000"}}
    database.apply(entry, {"HELLOWORLD_PROCESS": "web"})
    assert entry["OPTIONS"]["options"] == (
        "-c statement_timeout=5000 -c lock_timeout=2000 -c statement_timeout=9000"  # the last one wins
    )
    for environ in (
        {},
        {"HELLOWORLD_PROCESS": "web", "WEB_DATABASE_STATEMENT_TIMEOUT": "0", "WEB_DATABASE_LOCK_TIMEOUT": "0"},
    ):
        untouched = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}}
        database.apply(untouched, environ)  # nothing sent: a pooler that refuses startup options still connects
        assert untouched["OPTIONS"] == {}


def test_sqlite_waits_for_its_write_lock_as_long_as_a_statement_may_take():
    entry = {"ENGINE": "django.db.backends.sqlite3", "OPTIONS": {"timeout": 20}}
    database.apply(entry, {"HELLOWORLD_PROCESS": "web"})
    assert entry["OPTIONS"]["timeout"] == 5
    unbounded = {"ENGINE": "django.db.backends.sqlite3", "OPTIONS": {"timeout": 20}}
    database.apply(unbounded, {"HELLOWORLD_PROCESS": "web", "WEB_DATABASE_STATEMENT_TIMEOUT": "0"})
    assert unbounded["OPTIONS"]["timeout"] == 20  # no statement bound: SQLite keeps the wait it has


@pytest.mark.parametrize(
    ("process", "code", "env", "expected"),
    [
        ("web (WSGI)", "import helloworld.wsgi", {}, ["5s", "2s"]),
        ("web (ASGI)", "import helloworld.asgi", {}, ["5s", "2s"]),
        ("worker", "import django; django.setup()", {"HELLOWORLD_PROCESS": "worker"}, ["1min", "10s"]),
        ("beat", "import django; django.setup()", {"HELLOWORLD_PROCESS": "beat"}, ["10s", "5s"]),
        (
            "web, its bounds changed",
            "import helloworld.wsgi",
            {"WEB_DATABASE_STATEMENT_TIMEOUT": "1.5"},
            ["1500ms", "2s"],
        ),
        ("manage.py", "import django; django.setup()", {}, ["0", "0"]),
    ],
)
def test_postgresql_bounds_each_process_as_its_role_says(postgresql_url, tmp_path, process, code, env, expected):
    env = {"DATABASE_URL": postgresql_url, "HELLOWORLD_DATA_DIR": str(tmp_path), **env}
    if "helloworld.wsgi" not in code and "helloworld.asgi" not in code:
        env["DJANGO_SETTINGS_MODULE"] = "helloworld.settings"
    assert shown(code, **env) == expected, process


def test_the_worker_entry_point_says_it_is_the_worker(tmp_path):
    """helloworld.worker execs `celery`: here a stand-in on PATH that prints what it was given."""
    celery = tmp_path / "celery"
    celery.write_text('#!/bin/sh\necho "$HELLOWORLD_PROCESS"\n')
    celery.chmod(0o755)
    env = clean_env(PATH=f"{tmp_path}:{os.environ['PATH']}")
    completed = subprocess.run(
        [sys.executable, "-m", "helloworld.worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert completed.stdout.strip() == "worker", completed.stderr


@pytest.mark.parametrize("procfile", ["Procfile", "Procfile.real"])
def test_the_procfiles_beat_says_it_is_beat(procfile):
    line = next(line for line in (ROOT / procfile).read_text().splitlines() if line.startswith("beat:"))
    assert line.split(":", 1)[1].split()[0] == "HELLOWORLD_PROCESS=beat"
