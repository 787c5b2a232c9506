from django.urls import path

from tasks_app import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("api/tasks/", api.task_create, name="api-task-create"),
    path("api/tasks/<str:task_id>/", api.task_detail, name="api-task-detail"),
]
