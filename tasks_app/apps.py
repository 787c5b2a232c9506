from django.apps import AppConfig


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    verbose_name = "Tasks"

    def ready(self):
        # Connect the signal handlers: beat's runs recorded, send times stamped, states mirrored;
        # failed logins counted.
        from tasks_app import login_throttle, signals  # noqa: F401
