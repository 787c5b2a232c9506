"""The Celery app: configured from Django settings under the CELERY_ namespace."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

from celery import Celery
from django.conf import settings
from django.core.signals import setting_changed

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helloworld.settings")


class DjangoSettings(Mapping):
    """Django's settings as the mapping Celery reads its configuration from.

    Given "django.conf:settings", Celery wraps the settings object and tries each name it wants
    (CELERY_X, then x) with getattr. A name the settings do not define raises and catches an
    AttributeError inside Django's LazySettings: 11 us a lookup against 3 us for a defined one,
    and every `apply_async` looks up six undefined ones (task_always_eager, task_repr_maxlevels,
    ...), 16% of its CPU and of a bulk request's (bench/README.md). Here a name is first looked
    for in the set of names the settings define; values are still read from the settings on each
    lookup, so an assignment to a defined setting is seen at once. The set is made again when a
    setting changes through override_settings (its `setting_changed` signal); a name that is
    added by assignment alone is not seen.
    """

    def __init__(self):
        self._names: frozenset[str] | None = None
        setting_changed.connect(self._forget_names)  # weakly: it goes with its app

    def _forget_names(self, **kwargs) -> None:
        self._names = None

    def _defined(self) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(name for name in dir(settings) if name.isupper())
        return self._names

    def __getitem__(self, name: str) -> Any:
        if name not in self._defined():
            raise KeyError(name)
        return getattr(settings, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._defined())

    def __len__(self) -> int:
        return len(self._defined())


app = Celery("helloworld")
app.config_from_object(DjangoSettings(), namespace="CELERY")
app.autodiscover_tasks()
