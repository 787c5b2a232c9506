from django.urls import path

from tasks_app import api, api_docs, api_periodic, dashboard_views, task_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/", task_views.task_list, name="task-list"),
    path("tasks/<str:task_id>/", views.task_status, name="task-status"),
    path("tasks/<str:task_id>/retry/", task_views.task_retry, name="task-retry"),
    path("tasks/<str:task_id>/revoke/", task_views.task_revoke, name="task-revoke"),
    path("periodic/", views.periodic_list, name="periodic-list"),
    path("periodic/<int:pk>/", views.periodic_detail, name="periodic-detail"),
    path("periodic/<int:pk>/enable/", views.periodic_enable, {"enabled": True}, name="periodic-enable"),
    path("periodic/<int:pk>/disable/", views.periodic_enable, {"enabled": False}, name="periodic-disable"),
    path("periodic/<int:pk>/<str:action>/", views.periodic_confirm, name="periodic-confirm"),
    path("api/", api_docs.page, name="api-docs"),
    path("api/tasks/", api.tasks_collection, name="api-task-create"),
    path("api/tasks/bulk/", api.task_bulk_create, name="api-task-bulk-create"),
    path("api/tasks/<str:task_id>/", api.task_detail, name="api-task-detail"),
    path("api/tasks/<str:task_id>/retry/", api.task_retry, name="api-task-retry"),
    path("api/tasks/<str:task_id>/revoke/", api.task_revoke, name="api-task-revoke"),
    path("api/schedules/preview/", api.schedule_preview, name="api-schedule-preview"),
    path("api/health/", api.health, name="api-health"),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/queues/<str:queue>/purge/", dashboard_views.purge_confirm, name="dashboard-purge"),
    path("api/dashboard/", dashboard_views.dashboard_api, name="api-dashboard"),
    path("api/periodic/", api_periodic.periodic_collection, name="api-periodic-list"),
    path("api/periodic/<int:pk>/", api_periodic.periodic_item, name="api-periodic-detail"),
    path("api/periodic/<int:pk>/run/", api_periodic.periodic_run, name="api-periodic-run"),
]
