from django.apps import AppConfig


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    verbose_name = "Tasks"

    def ready(self):
        from tasks_app import signals  # noqa: F401  (connects the worker hooks)
