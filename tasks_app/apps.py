from django.apps import AppConfig


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    verbose_name = "Tasks"

    def ready(self):
        # signals: the worker hooks; state_sync: keeps TaskRecord.state with the result rows.
        from tasks_app import signals, state_sync  # noqa: F401
