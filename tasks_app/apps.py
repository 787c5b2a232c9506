from django.apps import AppConfig


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    verbose_name = "Tasks"

    def ready(self):
        # Connect the signal handlers: beat's runs recorded, send times stamped, states mirrored;
        # failed logins counted; tasks sent from outside the site recorded when a worker takes them.
        from tasks_app import login_throttle, signals  # noqa: F401
        from tasks_app.worker import outside  # noqa: F401
