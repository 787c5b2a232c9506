"""The two hottest writes, each one SQL statement that Django compiles once and reuses.

- `RecordManager.record`: the task's record, written by every enqueue before the publish.
- `ResultWriter.store_result`: a worker's report of a task (STARTED, SUCCESS...), with the
  record's mirrored state.

Compiling an INSERT (building the query, quoting, placeholders) cost about as much CPU as the
statement's round trip to PostgreSQL; `CompiledInsert` keeps the SQL text per database and shape
and only adapts each row's values, exactly as the compiler would (`Field.pre_save`, then
`get_db_prep_save`). Neither write sends `pre_save`/`post_save` signals: nothing in the site
listens for them on these models (signals.py), and the result table's own receiver is for
`TaskResult.save()`, which services still use.
"""

from __future__ import annotations

from datetime import datetime

from celery import states
from django.apps import apps
from django.db import connections, models, router, transaction
from django.db.models import sql
from django.db.models.constants import OnConflict
from django.utils import timezone
from django_celery_results.managers import TaskResultManager

from tasks_app.states import FINISHED_STATES


class CompiledInsert:
    """A one-row INSERT of `model` (or an upsert on `unique_field`), compiled once per database and
    set of updated columns, then reused with each row's values."""

    def __init__(self, model, unique_field: str | None = None, returning: bool = False):
        self.model = model
        meta = model._meta
        self.fields = [field for field in meta.concrete_fields if not field.primary_key]
        self.unique_field = meta.get_field(unique_field) if unique_field else None
        self.returning = returning
        self._texts: dict[tuple, str] = {}

    def statement(self, row, using: str, update_fields: tuple[str, ...] = ()) -> tuple[str, list]:
        """The SQL text and its parameters for inserting `row` (a model instance) on `using`."""
        connection = connections[using]
        key = (using, update_fields)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self._compile(row, using, update_fields)
        # What SQLInsertCompiler.prepare_value(field, pre_save_val(field, row)) gives a plain value.
        return text, [field.get_db_prep_save(field.pre_save(row, True), connection) for field in self.fields]

    def _compile(self, row, using: str, update_fields: tuple[str, ...]) -> str:
        meta = self.model._meta
        upsert = {}
        if update_fields:
            upsert = {
                "on_conflict": OnConflict.UPDATE,
                "update_fields": [meta.get_field(name) for name in update_fields],
                "unique_fields": [self.unique_field],
            }
        query = sql.InsertQuery(self.model, **upsert)
        query.insert_values(self.fields, [row])
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = [meta.pk] if self.returning else None
        [(text, params)] = compiler.as_sql()
        if len(params) != len(self.fields):  # a backend with parameters of its own: not reusable
            vendor = connections[using].vendor
            raise NotImplementedError(f"{vendor}: {len(params)} parameters for {len(self.fields)} fields")
        return text


class RecordManager(models.Manager):
    """TaskRecord's manager: `record()` is `create()` in one precompiled statement."""

    _insert: CompiledInsert | None = None

    def record(self, **fields):
        row = self.model(**fields)
        using = router.db_for_write(self.model, instance=row)
        if self._insert is None:
            self._insert = CompiledInsert(self.model, returning=True)
        text, params = self._insert.statement(row, using)
        with connections[using].cursor() as cursor:
            cursor.execute(text, params)
            (row.pk,) = cursor.fetchone()  # RETURNING the id (PostgreSQL, SQLite 3.35+)
        row._state.adding, row._state.db = False, using
        return row


class ResultWriter(TaskResultManager):
    """Writes a worker's report of a task (STARTED, SUCCESS...) and its record's state at once.

    django-celery-results reads the row, then inserts or saves it, and the site's state mirror
    (signals.mirror_state, on post_save) adds an UPDATE: with STARTED tracked, six statements and
    four commits a task, the worker's largest cost. Here each report is an upsert (INSERT ... ON
    CONFLICT DO UPDATE, the same columns and values) and the mirror's UPDATE: on PostgreSQL one
    statement, the upsert feeding the UPDATE; elsewhere both in one transaction.
    """

    _upsert: CompiledInsert | None = None

    def store_result(self, content_type, content_encoding, task_id, result, status, using=None, **fields):
        TaskRecord = apps.get_model("tasks_app", "TaskRecord")  # by name: models.py imports this module

        fields = {
            "content_type": content_type,
            "content_encoding": content_encoding,
            "result": result,
            "status": status,
            **fields,
        }
        row = self.model(task_id=task_id, **fields)
        if "date_started" in fields and not isinstance(fields["date_started"], datetime):
            row.date_started = timezone.now()  # for the library's Now(), which an upsert does not take
        using = using or router.db_for_write(self.model)
        if self._upsert is None:
            self._upsert = CompiledInsert(self.model, unique_field="task_id")
        insert, params = self._upsert.statement(row, using, update_fields=(*fields, "date_done"))
        if status not in (states.SUCCESS, states.FAILURE):
            # Only a task's own outcome replaces a finished state. A STARTED written late
            # (worker.started), or a PROGRESS reported between a terminate's REVOKED and the kill,
            # must not undo that REVOKED; nor does a second REVOKED replace the first: the first
            # revoke's record stands (who asked, when), and a worker that later discards the
            # revoked message, or terminates the task, adds nothing false to it.
            quote = connections[using].ops.quote_name
            status_column = f"{quote(self.model._meta.db_table)}.{quote('status')}"
            insert += f" WHERE {status_column} NOT IN ({', '.join(['%s'] * len(FINISHED_STATES))})"
            params = (*params, *sorted(FINISHED_STATES))
        connection = connections[using]
        if connection.vendor == "postgresql":
            quote, record = connection.ops.quote_name, connection.ops.quote_name(TaskRecord._meta.db_table)
            # Identifiers from the models' metadata, quoted; every value is a parameter.
            statement = (
                f"WITH stored AS ({insert} RETURNING {quote('task_id')}, {quote('status')}) "  # noqa: S608
                f"UPDATE {record} SET {quote('state')} = stored.{quote('status')} FROM stored "
                f"WHERE {record}.{quote('task_id')} = stored.{quote('task_id')} "
                f"AND {record}.{quote('state')} <> stored.{quote('status')}"
            )
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
        else:
            with transaction.atomic(using=using), connection.cursor() as cursor:
                cursor.execute(insert, params)
                if cursor.rowcount:  # 0: a state that the row's finished state refused
                    TaskRecord.mirror_state(task_id, status, using=using)
        return row
