"""Beat's schedule entry: django-celery-beat's, writing only the columns beat owns, and ending a
schedule after its `, N times` (RunLimit) or at its `until` (the row's `expires`).

django-celery-beat writes its run times by reading the row, setting them on that copy and saving
every column, and disables a task by saving its own copy of the row (loaded when beat last read
it). An edit committed in between is written back over: a task disabled through the site while
beat was writing its last run came back enabled and went on running. Here each of
those writes is one UPDATE of just its columns, so an edit made meanwhile stands. What the base
class's save() does besides (a disabled row keeps no last run) the UPDATEs do too.
"""

from celery import schedules
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, Value, When
from django_celery_beat.models import PeriodicTasks
from django_celery_beat.schedulers import NEVER_CHECK_TIMEOUT
from django_celery_beat.schedulers import ModelEntry as BaseModelEntry


class ModelEntry(BaseModelEntry):
    def __init__(self, model, app=None):
        super().__init__(model, app=app)
        try:
            self.max_runs = model.run_limit.max_runs
        except ObjectDoesNotExist:
            self.max_runs = None
        if model.expires is not None:
            # `until` ends the schedule; it must not also expire the runs already sent (the base
            # class passes the row's expires on to each task, so a run sent a second before it,
            # waiting for a free worker, would be revoked unseen).
            self.options.pop("expires", None)
            if model.expire_seconds:
                self.options["expires"] = model.expire_seconds

    def save(self):
        # The run fields only; an UPDATE sends no save signal, as the base class's no_changes
        # flag meant: beat's own bookkeeping is not a schedule change.
        last_run_at = Case(When(enabled=True, then=Value(self.model.last_run_at)), default=None)
        self._update(self.model, last_run_at=last_run_at, total_run_count=self.model.total_run_count)

    def _disable(self, model):
        # Called from __init__ too (a broken row), before self.model is set.
        model.enabled = False
        self._update(model, enabled=False, last_run_at=None)

    def is_due(self):
        model = self.model
        if model.enabled and self._finished(model):
            # Its runs are all sent, or `until` has come: disabled and kept, with its history and
            # its last run (the base class would blank that).
            model.enabled = False
            self._update(model, enabled=False)
            PeriodicTasks.update_changed()  # a real change: other beats and the pages see it
            return schedules.schedstate(False, NEVER_CHECK_TIMEOUT)
        if model.one_off and model.enabled and model.total_run_count > 0:
            # A one-off task that has run: disabled, keeping its count and last run (the base class
            # reset both, so that pages said it never ran, and enabling it ran it again unannounced;
            # enabling a spent one-off is refused now: services.set_enabled).
            model.enabled = False
            self._update(model, enabled=False)
            PeriodicTasks.update_changed()  # a real change: other beats and the dashboard see it
            return schedules.schedstate(False, NEVER_CHECK_TIMEOUT)
        return super().is_due()

    def _finished(self, model) -> bool:
        if self.max_runs is not None and model.total_run_count >= self.max_runs:
            return True
        return model.expires is not None and self._default_now() >= model.expires

    @staticmethod
    def _update(model, **columns):
        type(model)._default_manager.filter(pk=model.pk).update(**columns)
