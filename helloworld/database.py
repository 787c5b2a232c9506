"""How long one database statement, and one wait for a lock, may take: bounds per process.

Each process says what it is in HELLOWORLD_PROCESS before Django reads its settings: the web entry points
(helloworld/wsgi.py, asgi.py) say `web`, helloworld/worker.py says `worker`, the Procfile's beat line says
`beat`. Anything else (manage.py: the release phase's migrate, the CLI, the tests) keeps the database's own
default, no bound. A statement past its bound is cancelled by PostgreSQL (QueryCanceled, LockNotAvailable:
Django's OperationalError), so a slow query or a held lock costs a request its answer (a 503), never a thread
for as long as the lock is held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from helloworld.env import env_float

ROLE_VARIABLE = "HELLOWORLD_PROCESS"


@dataclass(frozen=True)
class Bounds:
    statement: float  # seconds; 0: no bound
    lock: float


DEFAULTS = {
    # The router gives up at 30 s: a page answers its 503 well before; waiting for a lock is never a page's work.
    "web": Bounds(statement=5, lock=2),
    # Result writes, batched clean-ups and bulk retries may run longer; a held lock still frees the pool process.
    "worker": Bounds(statement=60, lock=10),
    # Under the beat lease (BEAT_LEASE_SECONDS, 15): a beat stuck behind a lock stands by before another takes over.
    "beat": Bounds(statement=10, lock=5),
}


def role(environ: Mapping[str, str]) -> str:
    """The process's role, or "" for none (no bounds); a misspelt role is a clear error, not a silent no bound."""
    value = environ.get(ROLE_VARIABLE, "").strip().lower()
    if value and value not in DEFAULTS:
        raise ImproperlyConfigured(f"{ROLE_VARIABLE}={value!r} is not a process role; use {', '.join(DEFAULTS)}.")
    return value


def bounds(environ: Mapping[str, str]) -> Bounds | None:
    """This process's bounds: the role's defaults, each overridable as <ROLE>_DATABASE_STATEMENT_TIMEOUT and
    <ROLE>_DATABASE_LOCK_TIMEOUT (seconds; 0 for no bound). None when the process has no role."""
    name = role(environ)
    if not name:
        return None
    default, prefix = DEFAULTS[name], f"{name.upper()}_DATABASE"
    statement = env_float(f"{prefix}_STATEMENT_TIMEOUT", default.statement, environ)
    lock = env_float(f"{prefix}_LOCK_TIMEOUT", default.lock, environ)
    for variable, value in ((f"{prefix}_STATEMENT_TIMEOUT", statement), (f"{prefix}_LOCK_TIMEOUT", lock)):
        if value < 0:
            raise ImproperlyConfigured(f"{variable}={value:g} is negative; give seconds, or 0 for no bound.")
    return Bounds(statement=statement, lock=lock)


def postgresql_options(found: Bounds) -> str:
    """libpq's `options` (sent when the connection opens, so it costs no query): the bounds in milliseconds."""
    return f"-c statement_timeout={round(found.statement * 1000)} -c lock_timeout={round(found.lock * 1000)}"


def apply(database: dict, environ: Mapping[str, str]) -> None:
    """Bound the connections of one DATABASES entry as this process's role says."""
    found = bounds(environ)
    if found is None or not (found.statement or found.lock):
        # Both 0: nothing sent, for a pooler that refuses startup options (PgBouncer in transaction mode):
        # there, set the bounds on the database role instead (ALTER ROLE ... SET statement_timeout = ...).
        return
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"] == "django.db.backends.postgresql":
        # Ours first, so that options given in DATABASE_URL itself still win.
        options["options"] = f"{postgresql_options(found)} {options.get('options', '')}".strip()
    elif database["ENGINE"] == "django.db.backends.sqlite3" and found.statement:
        # SQLite has no statement bound; its one unbounded wait is for its database-wide write lock, so that
        # wait gets the statement's bound (the lock bound suits PostgreSQL's row locks, not one lock for all).
        options["timeout"] = found.statement
