"""The pages. The JSON API's endpoints are in tasks_app/api/urls.py, under /api/."""

from django.urls import include, path

from tasks_app.api.metrics import metrics
from tasks_app.views import api_docs, bulk, dashboard, export, home, periodic, tasks
from tasks_app.views import failures as failure_views
from tasks_app.views import workers as worker_pages

urlpatterns = [
    path("", home.home, name="home"),
    path("tasks/", tasks.task_list, name="task-list"),
    path("tasks/retry/", bulk.bulk_action, {"action": "retry"}, name="task-retry-all"),
    path("tasks/revoke/", bulk.bulk_action, {"action": "revoke"}, name="task-revoke-all"),
    path("tasks/export/", export.task_export, name="task-export"),
    path("tasks/<str:task_id>/", tasks.task_status, name="task-status"),
    path("tasks/<str:task_id>/retry/", tasks.task_retry, name="task-retry"),
    path("tasks/<str:task_id>/revoke/", tasks.task_revoke, name="task-revoke"),
    path("periodic/", periodic.periodic_list, name="periodic-list"),
    path("periodic/<int:pk>/", periodic.periodic_detail, name="periodic-detail"),
    path("periodic/<int:pk>/enable/", periodic.periodic_enable, {"enabled": True}, name="periodic-enable"),
    path("periodic/<int:pk>/disable/", periodic.periodic_enable, {"enabled": False}, name="periodic-disable"),
    path("periodic/<int:pk>/edit/", periodic.periodic_edit, name="periodic-edit"),
    path("periodic/<int:pk>/<str:action>/", periodic.periodic_confirm, name="periodic-confirm"),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/queues/<str:queue>/purge/", dashboard.purge_confirm, name="dashboard-purge"),
    path("dashboard/lost/", dashboard.lost_confirm, name="dashboard-lost"),
    # failures: grouped by cause (tasks_app.views.failures)
    path("failures/", failure_views.failure_list, name="failure-list"),
    path("failures/<str:group_id>/", failure_views.failure_group, name="failure-group"),
    path("failures/<str:group_id>/retry/", failure_views.failure_retry, name="failure-retry"),
    path("failures/<str:group_id>/dismiss/", failure_views.failure_dismiss, name="failure-dismiss"),
    # Worker control (staff only)
    path("workers/", worker_pages.worker_list, name="worker-list"),
    path("workers/<str:name>/", worker_pages.worker_detail, name="worker-detail"),
    path("workers/<str:name>/<str:action>/", worker_pages.worker_action, name="worker-action"),
    path("metrics", metrics, name="metrics"),
    path("api/", api_docs.page, name="api-docs"),
    path("api/explorer/", api_docs.explorer, name="api-explorer"),
    path("api/", include("tasks_app.api.urls")),
]
