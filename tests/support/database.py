"""The test database made slow or unreachable for real, for whichever engine the run uses (SQLite, or
PostgreSQL in the second pass): the web's statement bounds on this process's connection, a write lock held by
a second connection, the connection pointed at nothing. Each puts the connection back as it found it."""

from __future__ import annotations

import copy
import sqlite3
from contextlib import contextmanager

from django.db import connections

from helloworld import database

# A closed port on loopback: a connection is refused at once.
NOWHERE_PORT = "1"


def _reopened(change):
    @contextmanager
    def changed(*args, **kwargs):
        wrapper = connections["default"]
        saved = copy.deepcopy(wrapper.settings_dict)
        wrapper.close()
        change(wrapper, *args, **kwargs)
        try:
            yield wrapper
        finally:
            wrapper.close()
            wrapper.settings_dict.clear()
            wrapper.settings_dict.update(saved)

    return changed


@_reopened
def web_bounds(wrapper, **overrides: str) -> None:
    """This process's connection bounded as the web process's is (helloworld/database.py), `overrides`
    being environment variables such as WEB_DATABASE_LOCK_TIMEOUT="0.5"."""
    database.apply(wrapper.settings_dict, {database.ROLE_VARIABLE: "web", **overrides})


@_reopened
def unreachable(wrapper) -> None:
    """PostgreSQL on a port where nothing listens; SQLite in a folder that does not exist."""
    if wrapper.vendor == "postgresql":
        wrapper.settings_dict.update(HOST="127.0.0.1", PORT=NOWHERE_PORT)
    else:
        wrapper.settings_dict["NAME"] = "/nonexistent-folder/db.sqlite3"


@contextmanager
def write_locked(table: str):
    """Another connection holds a lock that stops every write to `table` until the block ends: PostgreSQL's
    ACCESS EXCLUSIVE lock on the table (reads wait too), SQLite's write lock on the whole database."""
    settings = connections["default"].settings_dict
    if connections["default"].vendor == "postgresql":
        import psycopg

        holder = psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
        )
        holder.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
    else:
        holder = sqlite3.connect(settings["NAME"], isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()
