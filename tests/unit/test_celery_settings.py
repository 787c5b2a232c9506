"""The project's Celery app reads Django's settings through helloworld.celery.DjangoSettings:
the same values as Celery's own "django.conf:settings", also while settings change."""

import pytest
from celery import Celery
from django.test import override_settings

from helloworld.celery import DjangoSettings
from helloworld.celery import app as project_app


def app_reading(source) -> Celery:
    app = Celery("settings-check", set_as_current=False)
    app.config_from_object(source, namespace="CELERY")
    return app


# Defined by the site's settings, left to Celery's defaults, and read under another name.
NAMES = [
    "task_default_queue",
    "task_acks_late",
    "result_backend",
    "broker_url",
    "worker_prefetch_multiplier",
    "task_always_eager",
    "task_repr_maxlevels",
    "broker_pool_acquire_timeout",
    "timezone",
]


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_reads_as_celery_reads_django_settings_itself(name):
    ours, celerys = app_reading(DjangoSettings()), app_reading("django.conf:settings")
    assert getattr(ours.conf, name) == getattr(celerys.conf, name)


def test_the_project_app_reads_through_it():
    assert project_app.conf.task_default_queue  # Celery reads its configuration at first use
    assert isinstance(project_app.loader.conf, DjangoSettings)


def test_a_name_the_settings_do_not_define_is_a_key_error():
    view = DjangoSettings()
    with pytest.raises(KeyError):
        view["CELERY_TASK_ALWAYS_EAGER"]
    assert "CELERY_TASK_ALWAYS_EAGER" not in view
    assert "CELERY_TASK_DEFAULT_QUEUE" in view and "task_default_queue" not in view


def test_overridden_and_added_settings_are_seen_and_forgotten_afterwards(settings):
    app = app_reading(DjangoSettings())
    assert app.conf.task_always_eager is False
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True, CELERY_TASK_DEFAULT_QUEUE="elsewhere"):
        assert app.conf.task_always_eager is True
        assert app.conf.task_default_queue == "elsewhere"
    assert app.conf.task_always_eager is False
    # pytest-django's `settings` fixture (how tests change settings) and plain assignment.
    settings.CELERY_TASK_DEFAULT_QUEUE = "fixture"
    assert app.conf.task_default_queue == "fixture"
