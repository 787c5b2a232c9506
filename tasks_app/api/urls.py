"""The JSON API, under /api/ (its documentation page, /api/ itself, is a page: tasks_app/urls.py)."""

from django.urls import path, re_path

from tasks_app.api import export, failures, openapi, periodic, stats, system, tasks, workers

NOT_FOUND = "api-not-found"

urlpatterns = [
    path("tasks/", tasks.tasks_collection, name="api-tasks"),
    path("tasks/bulk/", tasks.task_bulk_create, name="api-task-bulk-create"),
    path("tasks/retry/", tasks.retry_all, name="api-task-retry-all"),
    path("tasks/revoke/", tasks.revoke_all, name="api-task-revoke-all"),
    path("tasks/export/", export.task_export, name="api-task-export"),
    path("tasks/<str:task_id>/", tasks.task_detail, name="api-task-detail"),
    path("tasks/<str:task_id>/retry/", tasks.task_retry, name="api-task-retry"),
    path("tasks/<str:task_id>/revoke/", tasks.task_revoke, name="api-task-revoke"),
    path("periodic/", periodic.periodic_collection, name="api-periodic-list"),
    path("periodic/<int:pk>/", periodic.periodic_item, name="api-periodic-detail"),
    path("periodic/<int:pk>/run/", periodic.periodic_run, name="api-periodic-run"),
    path("schedules/preview/", system.schedule_preview, name="api-schedule-preview"),
    path("health/", system.health, name="api-health"),
    path("dashboard/", system.dashboard_api, name="api-dashboard"),
    # failures: grouped by cause (tasks_app.api.failures)
    path("failures/", failures.failure_list, name="api-failures"),
    path("failures/<str:group_id>/retry/", failures.failure_retry, name="api-failure-retry"),
    path("failures/<str:group_id>/dismiss/", failures.failure_dismiss, name="api-failure-dismiss"),
    path("workers/", workers.worker_collection, name="api-workers"),
    path("workers/<str:name>/", workers.worker_item, name="api-worker-detail"),
    path("workers/<str:name>/<str:action>/", workers.worker_action, name="api-worker-action"),
    path("stats/", stats.stats_api, name="api-stats"),
    path("openapi.json", openapi.openapi_json, name="api-openapi"),
    re_path(r"^.*/$", system.unknown_endpoint, name=NOT_FOUND),  # last: only what nothing above serves
]
